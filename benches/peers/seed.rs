//! Seeding.

use crate::*;

pub(crate) async fn ensure(raw: &zk::Client, path: &str) -> Result<(), String> {
    let create = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    match raw.create(path, b"", &create).await {
        Ok(_) | Err(zk::Error::NodeExists) => Ok(()),
        Err(e) => Err(format!("create {path}: {e}")),
    }
}

/// Creates `/confo/<ns>/cfg00000...` with `count` items, 500 per multi-request.
pub(crate) async fn seed_namespace(raw: &zk::Client, ns: &str, count: usize) -> Result<(), String> {
    ensure(raw, "/confo").await?;
    ensure(raw, &format!("/confo/{ns}")).await?;
    let create = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    let mut i = 0;
    while i < count {
        let end = (i + 500).min(count);
        let mut writer = raw.new_multi_writer();
        let data: Vec<(String, Vec<u8>)> = (i..end)
            .map(|j| (format!("/confo/{ns}/{}", item_name(j)), item_json(j)))
            .collect();
        for (path, bytes) in &data {
            writer
                .add_create(path, bytes, &create)
                .map_err(err_string)?;
        }
        writer
            .commit()
            .await
            .map_err(|e| format!("seeding {ns}: {e}"))?;
        i = end;
    }
    Ok(())
}

pub(crate) fn scale_ns(size: usize) -> String {
    format!("scale{size}")
}

pub(crate) async fn seed(ctx: &Ctx) -> Result<(), String> {
    let t = Instant::now();
    ensure(&ctx.raw, "/confo").await?;
    ensure(&ctx.raw, "/confo/bench1").await?;
    let create = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    ctx.raw
        .create("/confo/bench1/database", &database_json(), &create)
        .await
        .map_err(err_string)?;
    for &size in &ctx.plan.scales {
        seed_namespace(&ctx.raw, &scale_ns(size), size).await?;
    }
    if !ctx.plan.scales.contains(&ctx.plan.rss_count) {
        seed_namespace(&ctx.raw, &scale_ns(ctx.plan.rss_count), ctx.plan.rss_count).await?;
    }
    ensure(&ctx.raw, "/confo/bench3").await?;
    let first = serde_json::to_vec(&Propagate {
        seq: 0,
        sent_ns: 0,
        payload: "x".repeat(64),
    })
    .map_err(err_string)?;
    ctx.raw
        .create("/confo/bench3/propagate", &first, &create)
        .await
        .map_err(err_string)?;
    eprintln!("bench: seeded in {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}
