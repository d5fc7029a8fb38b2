//! `api model`: fitting, listing, activating and rolling back model versions.

use super::*;

/// `api model …`: on the production backends the registry is the shared graph's, so an
/// activation or rollback switches every running instance.
pub async fn model(settings: &Settings, cmd: &ModelCommand) -> anyhow::Result<()> {
    let registry = match settings.graph_backend {
        crate::settings::GraphBackend::Embedded => {
            runtime::registry::Registry::files(&settings.data_dir)
        }
        crate::settings::GraphBackend::Neo4j => {
            let graph = crate::startup::open_graph(settings).await?;
            crate::startup::open_registry(settings, &graph)
        }
    };
    let reload_hint = if registry.is_shared() {
        "every instance switches to it within HISTORY_POLL_MILLISECONDS, or at its next forecast"
    } else {
        "POST /admin/reload-model to load it without a restart"
    };
    match cmd {
        ModelCommand::Fit {
            data,
            from,
            to,
            activate,
            params,
        } => {
            check_range(*from, *to)?;
            let batch = read_games(data)?;
            let candidates: Vec<forecast::Params> = if params.is_some() {
                vec![read_params(params)?]
            } else {
                // The same candidates the rolling-origin evaluation chooses among.
                runtime::evaluation::candidates()
                    .into_iter()
                    .map(|(_, p)| p)
                    .collect()
            };
            let bar = ProgressBar::new(candidates.len() as u64);
            bar.set_style(
                ProgressStyle::with_template("{spinner} fitting [{bar:40}] {pos}/{len} candidates")
                    .expect("static template is valid")
                    .progress_chars("=> "),
            );
            let mut best: Option<runtime::backtest::Report> = None;
            for p in &candidates {
                let r = runtime::backtest::run(&batch, *from, *to, p, &|_| {});
                if r.games == 0 {
                    anyhow::bail!("the file has no final games in seasons {from}-{to}");
                }
                if best
                    .as_ref()
                    .is_none_or(|b| r.consensus.brier < b.consensus.brier)
                {
                    best = Some(r);
                }
                bar.inc(1);
            }
            bar.finish_and_clear();
            let best = best.expect("at least one candidate");
            let id = format!("wf-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S%3f"));
            let v = runtime::registry::ModelVersion::from_report(id.clone(), &best);
            registry.save(&v).await?;
            println!(
                "saved model version {id}: consensus Brier {:.4}, ECE {:.4} on {} games ({}-{})",
                v.metrics.brier, v.metrics.ece, v.metrics.games, from, to
            );
            if *activate {
                registry.activate(&id).await?;
                println!("{id} is now current ({reload_hint})");
            }
        }
        ModelCommand::List => {
            let current = registry.current().await?.map(|v| v.id);
            let versions = registry.list().await?;
            if versions.is_empty() {
                println!(
                    "no saved model versions; the service runs the built-in {}",
                    runtime::DEFAULT_VERSION
                );
            }
            for v in versions {
                let mark = if current.as_deref() == Some(v.id.as_str()) {
                    "*"
                } else {
                    " "
                };
                println!(
                    "{mark} {:<28} Brier {:.4}  ECE {:.4}  games {:>5}  seasons {}-{}  {}",
                    v.id,
                    v.metrics.brier,
                    v.metrics.ece,
                    v.metrics.games,
                    v.metrics.from,
                    v.metrics.to,
                    v.created_at
                );
            }
        }
        ModelCommand::Activate { id } => {
            registry.activate(id).await?;
            println!("{id} is now current ({reload_hint})");
        }
        ModelCommand::Rollback => {
            let id = registry.rollback().await?;
            println!("rolled back: {id} is now current ({reload_hint})");
        }
    }
    // A moved pointer moved the shared generation: tell the running instances at once.
    if let (runtime::registry::Registry::Shared(graph), Some(n)) =
        (&registry, crate::startup::open_notifier(settings)?)
    {
        if matches!(
            cmd,
            ModelCommand::Activate { .. }
                | ModelCommand::Rollback
                | ModelCommand::Fit { activate: true, .. }
        ) {
            n.publish(graph.history_generation().await?).await;
        }
    }
    Ok(())
}
