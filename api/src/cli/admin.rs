//! `api migrate`, `api cache rebuild` and `api keys`: the operators' commands.

use super::*;

/// `api cache rebuild`: clears stale entries and warms every game that has predictions.
/// Opens the configured store and graph, which applies pending migrations and constraints.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let (series, _) = crate::startup::open_store(settings).await?;
    series
        .ping()
        .await
        .context("Failed to reach the store after migrating")?;
    let _lock = crate::startup::lock_data_dir(settings)?;
    let graph = crate::startup::open_graph(settings).await?;
    graph
        .health()
        .await
        .context("Failed to reach the graph after applying its constraints")?;
    println!(
        "migrations applied: store {}, graph {}",
        series.backend(),
        graph.backend()
    );
    Ok(())
}

pub async fn cache_rebuild(settings: &Settings) -> anyhow::Result<()> {
    let _lock = crate::startup::lock_data_dir(settings)?;
    let graph = crate::startup::open_graph(settings).await?;
    let cache = crate::startup::open_cache(settings)?;
    if !cache.healthy().await {
        anyhow::bail!("the {} cache is not reachable", cache.name());
    }
    cache.invalidate_prefix(cache_keys::CACHE_KEY_VERSION).await;
    let total = graph.count_games().await.context("Failed to count games")?;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} warming [{bar:40}] {pos}/{len} games ({per_sec})")
            .expect("static template is valid")
            .progress_chars("=> "),
    );
    let per_page = settings
        .cache_batch_size
        .clamp(1, graph::PageRequest::MAX_PER_PAGE as usize) as i64;
    let (mut page, mut warmed) = (1i64, 0u64);
    loop {
        let req = graph::PageRequest::parse(Some(page), Some(per_page))?;
        let games = graph
            .list_games(&graph::GameFilter::default(), req)
            .await
            .context("Failed to list games")?;
        if games.items.is_empty() {
            break;
        }
        for g in &games.items {
            let body = forecasts::game_predictions(graph.as_ref(), &g.id, None)
                .await
                .with_context(|| format!("Failed to read predictions of {}", g.id))?;
            if body.total > 0 {
                let key = cache_keys::predictions(g.id.as_str(), None);
                cache
                    .put(&key, crate::state::cache_entry(serde_json::to_vec(&body)?))
                    .await;
                warmed += 1;
            }
            bar.inc(1);
        }
        page += 1;
    }
    bar.finish_and_clear();
    println!(
        "cache rebuilt on {}: {warmed} games with predictions warmed out of {total}",
        cache.name()
    );
    Ok(())
}

/// `api keys …`.
pub async fn keys(settings: &Settings, cmd: &KeysCommand) -> anyhow::Result<()> {
    let keys = crate::startup::open_keys(settings).await?;
    match cmd {
        KeysCommand::Create { name, scope } => {
            let scope = crate::auth::Scope::parse(scope).ok_or_else(|| {
                anyhow::anyhow!("--scope must be read, write or admin (got '{scope}')")
            })?;
            if name.trim().is_empty() || name.len() > 100 {
                anyhow::bail!("--name must be 1 to 100 characters");
            }
            let (record, key) = keys.create(name.trim(), scope).await?;
            println!(
                "created key {} ({}, scope {})",
                record.id, record.name, record.scope
            );
            println!("{key}");
            eprintln!("store it now: it is not shown again");
        }
        KeysCommand::List => {
            for k in keys.list().await? {
                let status = if k.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{:<14} {:<7} {:<8} {}  {}",
                    k.id,
                    k.scope,
                    status,
                    k.created_at.format("%Y-%m-%d %H:%M"),
                    k.name
                );
            }
        }
        KeysCommand::Revoke { id } => {
            if !keys.revoke(id).await? {
                anyhow::bail!("no active key with id {id}");
            }
            println!("revoked {id}");
        }
    }
    Ok(())
}
