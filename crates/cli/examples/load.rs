//! An open-loop HTTP load generator for `bench/lists.py`: request k is due at
//! start + k / rate whatever the answers before it, and its latency counts from when it was
//! due (so a server that falls behind shows it). Keep-alive connections, spread over the
//! loopback source addresses 127.0.0.2–127.0.0.9. Prints one JSON line with the figures.
//!
//! ```sh
//! load http://127.0.0.1:18400/api/v1/systems?limit=50 TOKEN 1000 10
//! ```

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Requests in flight at most, so at most as many connections (a browser-like client keeps
/// a few; hundreds of new connections would measure connection setup instead).
const IN_FLIGHT: usize = 64;
const CLIENTS: u8 = 8;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, token, rate, seconds] = args.as_slice() else {
        anyhow::bail!("usage: load URL TOKEN RATE SECONDS");
    };
    let rate: f64 = rate.parse()?;
    let total = (rate * seconds.parse::<f64>()?) as u64;
    let clients = (0..CLIENTS)
        .map(|i| {
            reqwest::Client::builder()
                .local_address(std::net::IpAddr::from([127, 0, 0, 2 + i]))
                .timeout(Duration::from_secs(30))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let lat = Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
    let errors = Arc::new(Mutex::new(0u64));
    let gate = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let start = Instant::now() + Duration::from_millis(200);
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..total {
        let due = start + Duration::from_secs_f64(k as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let permit = gate.clone().acquire_owned().await?;
        let c = clients[(k % u64::from(CLIENTS)) as usize].clone();
        let (url, token) = (url.clone(), token.clone());
        let (lat, errors) = (lat.clone(), errors.clone());
        tasks.spawn(async move {
            let ok = match c.get(&url).bearer_auth(&token).send().await {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            if ok {
                lat.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(due.elapsed().as_secs_f64() * 1000.0);
            } else {
                *errors.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            }
            drop(permit);
        });
    }
    while tasks.join_next().await.is_some() {}
    let span = start.elapsed().as_secs_f64();
    let mut lat = std::mem::take(&mut *lat.lock().unwrap_or_else(|p| p.into_inner()));
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let errors = *errors.lock().unwrap_or_else(|p| p.into_inner());
    println!(
        "{{\"answered\": {}, \"errors\": {errors}, \"span\": {span:.3}, \"p50\": {:.1}, \"p99\": {:.1}, \"max\": {:.1}}}",
        lat.len(),
        q(0.5),
        q(0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}
