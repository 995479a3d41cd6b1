//! Load generator for `scripts/bench-emulator`: uploads a fleet of tokens to a running emulator,
//! then hammers `GET .../tokens/{id}` and serial-filtered lists over keep-alive connections and
//! prints requests per second. Reads EMU_URL and EMU_TOKEN; BENCH_TOKENS, BENCH_SECS and
//! BENCH_CONNECTIONS tune it.

use okta_emulator::otp::modhex_encode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ykprov::okta::models::{YubikeyToken, TOKENS_PATH};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `connections` workers for `secs`, each calling `make(worker, i)` in a loop.
async fn hammer<F, Fut>(connections: usize, secs: u64, make: F) -> anyhow::Result<(u64, u64)>
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let make = Arc::new(make);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for w in 0..connections {
        let (ok, failed, make) = (ok.clone(), failed.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < deadline {
                let counter = if make(w, i).await { &ok } else { &failed };
                counter.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    Ok((ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed)))
}

/// Uploads `n` tokens over `connections` keep-alive connections; their ids.
async fn upload_fleet(
    client: &reqwest::Client,
    url: &str,
    auth: &str,
    n: u32,
    connections: usize,
) -> anyhow::Result<Vec<String>> {
    // 1. Upload the fleet (concurrently, keep-alive).
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(1));
    let ids = Arc::new(std::sync::Mutex::new(Vec::with_capacity(n as usize)));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, url, auth, next, ids) = (
            client.clone(),
            url.to_string(),
            auth.to_string(),
            next.clone(),
            ids.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let serial = next.fetch_add(1, Ordering::Relaxed);
                if serial > u64::from(n) {
                    return anyhow::Ok(());
                }
                let public = modhex_encode(&serial.to_be_bytes()[2..]);
                let body = serde_json::json!({"serialNumber": serial.to_string(), "publicId": public,
                    "privateId": "b74be6169486", "aesKey": "1fcc6d8ce39bf1604e0b17f3e0a11067"});
                let r = client
                    .post(format!("{url}{TOKENS_PATH}"))
                    .header("Authorization", &auth)
                    .json(&body)
                    .send()
                    .await?;
                anyhow::ensure!(r.status().is_success(), "upload {serial}: {}", r.status());
                let t: YubikeyToken = r.json().await?;
                ids.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.push(t.id);
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let upload_secs = started.elapsed().as_secs_f64();
    println!(
        "upload: {n} tokens in {upload_secs:.1} s = {:.0} POST/s",
        f64::from(n) / upload_secs
    );
    let ids = std::mem::take(&mut *ids.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    Ok(ids)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url: String = std::env::var("EMU_URL")?;
    let token: String = std::env::var("EMU_TOKEN")?;
    let n: u32 = env_or("BENCH_TOKENS", 100_000);
    let secs: u64 = env_or("BENCH_SECS", 10);
    let connections: usize = env_or("BENCH_CONNECTIONS", 16);
    let auth = format!("SSWS {token}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections * 2)
        .build()?;

    let ids = Arc::new(upload_fleet(&client, &url, &auth, n, connections).await?);

    // 2. GET by id.
    let (c, u, a, i) = (client.clone(), url.clone(), auth.clone(), ids.clone());
    let (ok, failed) = hammer(connections, secs, move |w, k| {
        let id = &i[(w * 7919 + k as usize * 104_729) % i.len()];
        let rq = c
            .get(format!("{u}{TOKENS_PATH}/{id}"))
            .header("Authorization", &a);
        async move {
            match rq.send().await {
                Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                _ => false,
            }
        }
    })
    .await?;
    println!(
        "get-by-id: {:.0} req/s ({ok} ok, {failed} failed, {connections} keep-alive connections, {secs} s, {} tokens stored)",
        ok as f64 / secs as f64,
        ids.len()
    );

    // 3. Filtered lookups by serial (the index path).
    let (c, u, a) = (client.clone(), url.clone(), auth.clone());
    let (ok, failed) = hammer(connections, secs, move |w, k| {
        let serial = (w as u64 * 7919 + k * 104_729) % u64::from(n) + 1;
        let rq = c
            .get(format!(
                "{u}{TOKENS_PATH}?filter=profile.serial%20eq%20%22{serial}%22"
            ))
            .header("Authorization", &a);
        async move {
            match rq.send().await {
                Ok(r) if r.status().is_success() => {
                    r.json::<Vec<YubikeyToken>>().await.is_ok_and(|v| v.len() == 1)
                }
                _ => false,
            }
        }
    })
    .await?;
    println!(
        "filter-by-serial: {:.0} req/s ({ok} ok, {failed} failed, over {n} tokens)",
        ok as f64 / secs as f64
    );
    Ok(())
}
