//! `ops floor-server`: the benchmark's upstream floor. An HTTP/1.1 server that does nothing
//! but read each request and write one fixed response, so that a service measured behind the
//! same Nginx can be compared with the least any service there could cost: the loopback hops,
//! Nginx's proxying and the load generator, with no application work at all.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::error::{Error, Result};

/// Largest request head accepted; anything longer is answered 431 and the connection closed.
const MAX_HEAD: usize = 16 * 1024;

/// The fixed response: a 200 with `body` and the given extra headers.
pub fn response(body: &[u8], headers: &[(String, String)]) -> Vec<u8> {
    let mut head = String::from("HTTP/1.1 200 OK\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// Binds `addr` and serves `reply` to every request on `threads` runtime threads until the
/// process is stopped. `on_bound` gets the bound address (port 0 picks one).
pub fn serve(
    addr: SocketAddr,
    reply: Vec<u8>,
    threads: usize,
    on_bound: impl FnOnce(SocketAddr),
) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_io()
        .build()
        .map_err(|source| Error::Net {
            what: "start the runtime".into(),
            source,
        })?;
    rt.block_on(async move {
        let listener = TcpListener::bind(addr).await.map_err(|source| Error::Net {
            what: format!("bind {addr}"),
            source,
        })?;
        let bound = listener.local_addr().map_err(|source| Error::Net {
            what: "read the bound address".into(),
            source,
        })?;
        on_bound(bound);
        let reply: Arc<[u8]> = reply.into();
        loop {
            let (stream, _) = listener.accept().await.map_err(|source| Error::Net {
                what: "accept a connection".into(),
                source,
            })?;
            let reply = reply.clone();
            tokio::spawn(async move {
                // A broken connection ends only itself.
                let _ = connection(stream, &reply).await;
            });
        }
    })
}

/// Where the request head in `buf` ends (after its blank line), if it is complete.
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// Whether a request head announces a body (this server answers requests without one only).
/// Scans the header lines in place: the floor should cost as little as a server can.
fn has_body(head: &[u8]) -> bool {
    head.split(|&b| b == b'\n').any(|line| {
        let starts =
            |name: &[u8]| line.len() >= name.len() && line[..name.len()].eq_ignore_ascii_case(name);
        if starts(b"transfer-encoding:") {
            return true;
        }
        starts(b"content-length:") && line[b"content-length:".len()..].trim_ascii() != b"0"
    })
}

async fn connection(mut stream: TcpStream, reply: &[u8]) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        // Answer every complete request in the buffer (pipelined ones in order).
        while let Some(end) = head_end(&buf) {
            if has_body(&buf[..end]) {
                stream
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await?;
                return Ok(());
            }
            stream.write_all(reply).await?;
            buf.drain(..end);
        }
        if buf.len() > MAX_HEAD {
            stream
                .write_all(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await?;
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_head_is_complete_only_after_its_blank_line() {
        let cases: &[(&[u8], Option<usize>)] = &[
            (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", Some(27)),
            (b"GET / HTTP/1.1\r\nHost: x\r\n", None),
            (b"", None),
            (b"GET / HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", Some(18)),
        ];
        for (buf, want) in cases {
            assert_eq!(head_end(buf), *want, "{}", String::from_utf8_lossy(buf));
        }
    }

    #[test]
    fn requests_announcing_a_body_are_recognised() {
        let cases: &[(&[u8], bool)] = &[
            (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", false),
            (b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", false),
            (b"POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n", true),
            (
                b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n",
                true,
            ),
            (b"POST / HTTP/1.1\r\nCONTENT-LENGTH:5\r\n\r\n", true),
            (b"GET / HTTP/1.1\r\nX-Content-Length: 5\r\n\r\n", false),
        ];
        for (head, want) in cases {
            assert_eq!(has_body(head), *want, "{}", String::from_utf8_lossy(head));
        }
    }

    #[test]
    fn the_fixed_response_carries_its_headers_and_exact_length() {
        let r = response(b"abc", &[("content-encoding".into(), "gzip".into())]);
        assert_eq!(
            r,
            b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 3\r\n\r\nabc"
        );
    }
}
