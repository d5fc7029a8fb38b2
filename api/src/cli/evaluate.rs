//! `api backtest` and `api evaluate`: the walk-forward back-test and the evaluations beyond it.

use super::*;

/// `api backtest`.
pub fn backtest(
    data: &Option<PathBuf>,
    from: i32,
    to: i32,
    json: &Option<PathBuf>,
    plot: &Option<PathBuf>,
    params: &Option<PathBuf>,
) -> anyhow::Result<()> {
    check_range(from, to)?;
    let batch = read_games(data)?;
    let params = read_params(params)?;
    let bar = replay_bar(&batch);
    let report = runtime::backtest::run(&batch, from, to, &params, &|n| bar.set_position(n));
    bar.finish_and_clear();
    if report.games == 0 {
        anyhow::bail!("the file has no final games in seasons {from}-{to}");
    }
    print!("{}", report.table());
    match &report.market {
        Some(m) => print!("\n{}", m.table()),
        None => println!("\nNo scored game has betting lines: the market expert sat out."),
    }
    write_report(json, &report)?;
    if let Some(p) = plot {
        std::fs::write(p, report.calibration_svg())
            .with_context(|| format!("Failed to write {}", p.display()))?;
        println!("calibration plot: {}", p.display());
    }
    Ok(())
}

/// `api evaluate …`: one function per evaluation.
pub fn evaluate(cmd: &EvaluateCommand) -> anyhow::Result<()> {
    match cmd {
        EvaluateCommand::RollingOrigin {
            data,
            from,
            to,
            lookback,
            json,
        } => rolling_origin(data, *from, *to, *lookback, json),
        EvaluateCommand::KeyNumbers { data, from, to } => key_numbers(data, *from, *to),
        EvaluateCommand::HomeAdvantage {
            data,
            from,
            to,
            params,
            json,
        } => home_advantage(data, *from, *to, params, json),
        EvaluateCommand::Odds {
            data,
            from,
            to,
            weeks,
            sims,
            seed,
            params,
        } => odds(data, (*from, *to), weeks, (*sims, *seed), params),
        EvaluateCommand::Windows {
            data,
            from,
            to,
            width,
            params,
            json,
        } => windows(data, *from, *to, *width, params, json),
    }
}

/// Rolling origin: each season scored with the parameters chosen on the seasons before it,
/// among the grid's sets that follow the simulated regime change.
fn rolling_origin(
    data: &Option<PathBuf>,
    from: i32,
    to: i32,
    lookback: i32,
    json: &Option<PathBuf>,
) -> anyhow::Result<()> {
    check_range(from, to)?;
    if lookback < 1 {
        anyhow::bail!("--lookback must be at least 1 season");
    }
    let batch = read_games(data)?;
    let grid = runtime::evaluation::grid();
    println!("Robustness first: each parameter set through the simulated regime change (home advantage 3 → 0 points in one off-season, 4 leagues):");
    println!(
        "{:<24} {:>22} {:>18}  candidate?",
        "parameters", "edge at season's end", "bias after"
    );
    for (name, _, c) in &grid {
        println!(
            "{name:<24} {:>22.2} {:>+18.4}  {}",
            c.learned_at_season_end,
            c.bias_after,
            if c.adapts() { "yes" } else { "no: too slow" }
        );
    }
    println!();
    let candidates = runtime::evaluation::robust(&grid);
    if candidates.is_empty() {
        anyhow::bail!("no parameter set of the grid follows the simulated regime change");
    }
    let bar = ProgressBar::new(candidates.len() as u64 + 1);
    bar.set_style(
        ProgressStyle::with_template("{spinner} replaying [{bar:40}] {pos}/{len} models")
            .expect("static template is valid")
            .progress_chars("=> "),
    );
    let r = runtime::evaluation::rolling_origin(
        &batch,
        from,
        to,
        lookback,
        &candidates,
        &forecast::Params::legacy(),
        &|n| bar.set_position(n),
    );
    bar.finish_and_clear();
    if r.seasons.is_empty() {
        anyhow::bail!("the file has no final games in seasons {from}-{to}");
    }
    print!("{}", r.table());
    write_report(json, &r)?;
    Ok(())
}

/// The key-number weights of the final margins.
fn key_numbers(data: &Option<PathBuf>, from: i32, to: i32) -> anyhow::Result<()> {
    check_range(from, to)?;
    let batch = read_games(data)?;
    let replay = runtime::backtest::Replay::run(&batch, &forecast::Params::default(), &|_| {});
    let games: Vec<(f64, f64)> = replay
        .in_range(from, to)
        .iter()
        .map(|(r, _)| (forecast::prob::prob_to_margin(r.consensus), r.home_margin))
        .collect();
    if games.is_empty() {
        anyhow::bail!("the file has no final games in seasons {from}-{to}");
    }
    let w = forecast::categories::estimate_key_weights(&games);
    println!(
        "Key-number weights from {} games, seasons {from}-{to} (observed / normal-expected count of each final margin |k|):",
        games.len()
    );
    let cells: Vec<String> = w.iter().map(|x| format!("{x:.2}")).collect();
    for (i, row) in cells.chunks(15).enumerate() {
        println!("  {:>2}..: {}", i * 15, row.join(", "));
    }
    Ok(())
}

/// The home advantage the experts used against each season's home margin.
fn home_advantage(
    data: &Option<PathBuf>,
    from: i32,
    to: i32,
    params: &Option<PathBuf>,
    json: &Option<PathBuf>,
) -> anyhow::Result<()> {
    check_range(from, to)?;
    let batch = read_games(data)?;
    let params = read_params(params)?;
    let seasons = runtime::evaluation::home_advantage(&batch, &params, from, to);
    if seasons.is_empty() {
        anyhow::bail!("the file has no final games in seasons {from}-{to}");
    }
    println!("The home advantage the experts used (points) against each season's mean home margin, and the consensus's home bias (mean forecast minus home win rate):");
    println!(
        "{:>6} {:>5} {:>12} {:>7} {:>7} {:>7} {:>10} {:>8}",
        "season", "games", "home margin", "start", "middle", "end", "home bias", "Brier"
    );
    for s in &seasons {
        println!(
            "{:>6} {:>5} {:>12.2} {:>7.2} {:>7.2} {:>7.2} {:>+10.4} {:>8.4}",
            s.season,
            s.games,
            s.home_margin,
            s.edge_start,
            s.edge_mid,
            s.edge_end,
            s.home_bias,
            s.brier
        );
    }
    write_report(json, &seasons)?;
    Ok(())
}

/// The consensus against the best expert on every window of seasons.
fn windows(
    data: &Option<PathBuf>,
    from: i32,
    to: i32,
    width: i32,
    params: &Option<PathBuf>,
    json: &Option<PathBuf>,
) -> anyhow::Result<()> {
    check_range(from, to)?;
    if width < 1 || width > to - from + 1 {
        anyhow::bail!(
            "--width must be between 1 and the {} seasons of the range",
            to - from + 1
        );
    }
    let batch = read_games(data)?;
    let params = read_params(params)?;
    let replay = runtime::backtest::Replay::run(&batch, &params, &|_| {});
    let w = runtime::evaluation::windows(&replay, from, to, width);
    if w.is_empty() {
        anyhow::bail!("the file has no final games in seasons {from}-{to}");
    }
    println!("The consensus against the best expert, every {width}-season window {from}-{to}:");
    print!("{}", runtime::evaluation::windows_table(&w));
    write_report(json, &w)?;
    Ok(())
}

/// `api evaluate odds`: the simulator settings under test, the shipped one first, then the
/// two baselines.
fn odds(
    data: &Option<PathBuf>,
    (from, to): (i32, i32),
    weeks: &[u8],
    (sims, seed): (u64, u64),
    params: &Option<PathBuf>,
) -> anyhow::Result<()> {
    use runtime::odds_backtest::Config;
    use season::simulate::Params as Sim;
    check_range(from, to)?;
    if from < season::alignment::FIRST_SEASON {
        anyhow::bail!(
            "--from {from}: odds start in {}",
            season::alignment::FIRST_SEASON
        );
    }
    if weeks.is_empty() || weeks.iter().any(|w| *w == 0 || *w > 18) {
        anyhow::bail!("--weeks: give weeks 1 to 18, e.g. 4,8,12,16");
    }
    if !(100..=100_000).contains(&sims) {
        anyhow::bail!("--sims {sims}: give 100 to 100,000");
    }
    let batch = read_games(data)?;
    let model = read_params(params)?;
    let mut configs = vec![Config {
        name: "shipped".into(),
        params: Sim::SHIPPED,
    }];
    for scale in [0.5, 1.0, 1.5] {
        for hot_k in [0.0, 0.05, 0.1] {
            let p = Sim {
                strength_scale: scale,
                hot_k,
                ..Sim::SHIPPED
            };
            if p != Sim::SHIPPED {
                configs.push(Config {
                    name: format!("strengths ×{scale}, hot {hot_k}"),
                    params: p,
                });
            }
        }
    }
    configs.push(Config {
        name: "baseline: strengths fixed, no in-season updates".into(),
        params: Sim::fixed(),
    });
    configs.push(Config {
        name: "baseline: coin flips".into(),
        params: Sim::coin_flip(),
    });
    let seasons = (to - from + 1) as u64;
    let bar = ProgressBar::new(seasons * weeks.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} simulating [{bar:40}] {pos}/{len} season-weeks ({per_sec}, eta {eta})",
        )
        .expect("static template is valid")
        .progress_chars("=> "),
    );
    let report = runtime::odds_backtest::run(
        &batch,
        &model,
        (from, to),
        weeks,
        &configs,
        (sims, seed),
        &|n| bar.set_position(n as u64),
    );
    bar.finish_and_clear();
    let report = report.map_err(|e| anyhow::anyhow!("{e}"))?;
    if report.cuts == 0 {
        anyhow::bail!("the file has no regular-season games in weeks {weeks:?} of {from}-{to}");
    }
    print!("{}", report.table());
    Ok(())
}
