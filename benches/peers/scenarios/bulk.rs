//! Scenario 5: bulk import and export.

use crate::*;

/// Writes `count` configurations as `dir/bulk/<name>.json`.
pub(crate) fn write_tree(dir: &Path, count: usize) -> Result<(), String> {
    let ns = dir.join("bulk");
    std::fs::create_dir_all(&ns).map_err(err_string)?;
    for i in 0..count {
        std::fs::write(ns.join(format!("{}.json", item_name(i))), item_json(i))
            .map_err(err_string)?;
    }
    Ok(())
}

pub(crate) async fn run_confo_cli(ctx: &Ctx, url: &str, args: &[&str]) -> Result<u64, String> {
    let mut cmd = tokio::process::Command::new(&ctx.confo_bin);
    cmd.arg("--url")
        .arg(url)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let t = Instant::now();
    let out = tokio::time::timeout(CHILD_TIMEOUT, cmd.output())
        .await
        .map_err(|_| format!("confo {} timed out", args.join(" ")))?
        .map_err(|e| format!("cannot run {}: {e}", ctx.confo_bin.display()))?;
    let elapsed = t.elapsed().as_nanos() as u64;
    if !out.status.success() {
        return Err(format!(
            "confo {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    Ok(elapsed)
}

pub(crate) async fn delete_namespace(backend: &dyn Backend, ns: &str) -> Result<(), String> {
    let ns: confo::Namespace = ns.parse().map_err(err_string)?;
    match backend.delete_namespace(&ns, true).await {
        Ok(()) | Err(confo::Error::NamespaceNotFound { .. }) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

pub(crate) async fn scenario_5(ctx: &Ctx) -> Vec<Row> {
    let count = ctx.plan.bulk;
    eprintln!("bench: scenario 5 (bulk import and export of {count})");
    let sc = format!("5 bulk {count}");
    let tree = ctx.work.join(format!("tree{count}"));
    // Off the runtime's thread, like the removal of the exports below.
    let prepared = {
        let tree = tree.clone();
        tokio::task::spawn_blocking(move || {
            let _ = std::fs::remove_dir_all(&tree);
            write_tree(&tree, count)
        })
        .await
        .map_err(err_string)
        .and_then(|written| written)
    };
    if let Err(e) = prepared {
        return vec![Row::failed(&sc, "confo import", e)];
    }
    // confo imports under a chroot of its own so that export sees exactly these.
    let chroot_url = format!("{}/bulkbench", ctx.url);
    let chrooted = match ZooKeeper::connect(&chroot_url).await {
        Ok(b) => b,
        Err(e) => return vec![Row::failed(&sc, "confo import", e.to_string())],
    };
    let tree_arg = tree.display().to_string();
    let mut s = Samples::default();
    // Every export's directory, removed after the scenario (see below).
    let mut exports: Vec<PathBuf> = Vec::new();
    for round in 0..ctx.plan.bulk_rounds {
        let order = if round % 2 == 0 {
            ["confo", "pyconfo"]
        } else {
            ["pyconfo", "confo"]
        };
        for which in order {
            if which == "confo" {
                let import = async {
                    delete_namespace(&chrooted, "bulk").await?;
                    run_confo_cli(ctx, &chroot_url, &["import", &tree_arg]).await
                }
                .await;
                s.add("confo-import", import.map(|t| vec![t]));
                // The batched export and the old way, alternating.
                let mut ways = [("confo-export", false), ("confo-export-each", true)];
                if round % 2 == 1 {
                    ways.reverse();
                }
                for (key, each) in ways {
                    let out = ctx.work.join(format!("export-{round}-{key}"));
                    let export = export_once(ctx, &chroot_url, &out, each, count).await;
                    exports.push(out);
                    s.add(key, export.map(|t| vec![t]));
                }
            } else {
                let result = async {
                    delete_namespace(&*ctx.backend, "pybulk").await?;
                    ctx.python(&[
                        "pyconfo-persist".into(),
                        "--ns".into(),
                        "pybulk".into(),
                        "--dir".into(),
                        tree.join("bulk").display().to_string(),
                    ])
                    .await
                }
                .await;
                s.add("pyconfo", result);
            }
        }
    }
    let _ = delete_namespace(&chrooted, "bulk").await;
    let _ = delete_namespace(&*ctx.backend, "pybulk").await;
    // The exports are removed only now: removing 10,000 files keeps this
    // disk busy discarding for tens of seconds after `sync` returns, and
    // an export started meanwhile waited for it (3-8x slower, either way).
    // Off the runtime's thread: it takes seconds, and the driver's
    // ZooKeeper sessions must keep pinging meanwhile.
    let _ = tokio::task::spawn_blocking(move || {
        for dir in exports {
            let _ = std::fs::remove_dir_all(dir);
        }
    })
    .await;
    let confo = s.row(&sc, "confo-import").median;
    let mut import = s.row(&sc, "confo-import");
    import.implementation = "confo import (CLI, end to end)".into();
    import.ratio_vs_confo = confo.map(|_| 1.0);
    let mut py = s.row(&sc, "pyconfo");
    py.implementation = "Python confo set + persist(ns, name) each".into();
    compare(&mut py, confo, Goal::FasterBy(10.0));
    let mut export = s.row(&sc, "confo-export");
    export.implementation = "confo export (CLI, end to end)".into();
    let batched = export.median;
    compare(&mut export, confo, Goal::None);
    let mut each = s.row(&sc, "confo-export-each");
    each.implementation = "confo export --sync-each-file (two fsyncs per file, the old way)".into();
    compare(&mut each, batched, Goal::FasterBy(10.0));
    each.note = "ratio and target: against confo export, not import".into();
    vec![import, py, export, each]
}

/// One `confo export` of the bulk tree into `out`, a directory of its own
/// (`--sync-each-file` when `each`), checked: every file written, and the
/// first and last hold their values.
async fn export_once(
    ctx: &Ctx,
    url: &str,
    out: &Path,
    each: bool,
    count: usize,
) -> Result<u64, String> {
    let _ = std::fs::remove_dir_all(out);
    // Untimed: what the last export wrote reaches the disk before this
    // one starts, so neither way pays for the other's writes. (Awaited, so
    // the driver's sessions keep pinging while it waits.)
    let synced = tokio::process::Command::new("sync").status().await;
    if !synced.map(|s| s.success()).unwrap_or(false) {
        return Err("`sync` failed before the export".into());
    }
    let out_arg = out.display().to_string();
    let mut args = vec!["export", out_arg.as_str()];
    if each {
        args.push("--sync-each-file");
    }
    let took = run_confo_cli(ctx, url, &args).await?;
    let n = std::fs::read_dir(out.join("bulk"))
        .map_err(err_string)?
        .count();
    if n != count {
        return Err(format!("export wrote {n} files, not {count}"));
    }
    for i in [0, count - 1] {
        let file = out.join("bulk").join(format!("{}.json", item_name(i)));
        let written = std::fs::read(&file).map_err(err_string)?;
        if written != item_json(i) {
            return Err(format!(
                "{} does not hold what was imported",
                file.display()
            ));
        }
    }
    Ok(took)
}
