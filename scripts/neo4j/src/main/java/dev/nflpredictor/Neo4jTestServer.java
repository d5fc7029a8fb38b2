package dev.nflpredictor;

import java.nio.file.Files;
import java.nio.file.Path;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilders;

/** Runs Neo4j Community with Bolt on 127.0.0.1:PORT until the process is stopped. */
public final class Neo4jTestServer {
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7687;
        Path dir = Path.of(args.length > 1 ? args[1] : "target/neo4j-data");
        Files.createDirectories(dir);
        Neo4j neo4j = Neo4jBuilders.newInProcessBuilder(dir)
                .withConfig(BoltConnector.enabled, true)
                .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .withConfig(HttpConnector.enabled, false)
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(neo4j::close));
        System.out.println("neo4j ready bolt://127.0.0.1:" + port + " version " + neo4j.defaultDatabaseService().databaseName());
        System.out.flush();
        Thread.currentThread().join();
    }
}
