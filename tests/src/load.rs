//! A load of logins run beside a fault (a Redis or Postgres failover): every answer's time and
//! status, and the verdict on them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::login::log_in;
use crate::{PASSWORD, TestApp};

/// Logins on a few accounts, as fast as they go, until stopped: each answer's time and status.
pub struct LoginLoad {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<Vec<(Instant, u16)>>>,
}

impl LoginLoad {
    /// Adds `workers` accounts (`IP3401<n>`) and starts one login loop on each.
    pub async fn start(app: &TestApp, workers: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for worker in 0..workers {
            let username = format!("IP3401{worker}");
            app.add_user(&username).await;
            let (app, stop) = (app.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                let mut answers = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let browser = app.new_browser();
                    let answer = log_in(&app, &browser, "/login", &username, PASSWORD).await;
                    answers.push((Instant::now(), answer.status().as_u16()));
                }
                answers
            }));
        }
        Self { stop, tasks }
    }

    /// Stops the loops; every answer, in time order.
    pub async fn finish(self) -> Vec<(Instant, u16)> {
        self.stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        for task in self.tasks {
            all.extend(task.await.unwrap());
        }
        all.sort_by_key(|(at, _)| *at);
        all
    }
}

/// Checks a load run around a fault at `fault`: every answer a success (303) or a clear 503,
/// logins worked before, and from some point after the fault every login succeeds again.
/// Returns how long after the fault the last failure came.
pub fn judge(answers: &[(Instant, u16)], fault: Instant, what: &str) -> Duration {
    let odd: Vec<u16> = answers
        .iter()
        .map(|(_, s)| *s)
        .filter(|s| *s != 303 && *s != 503)
        .collect();
    assert!(odd.is_empty(), "{what}: only 303 or 503, got {odd:?}");
    assert!(
        answers.iter().any(|(at, s)| *at < fault && *s == 303),
        "{what}: logins worked before the fault"
    );
    let last_failure = answers
        .iter()
        .filter(|(_, s)| *s != 303)
        .map(|(at, _)| *at)
        .max();
    let recovered_after = last_failure.map_or(Duration::ZERO, |at| at.duration_since(fault));
    let after_recovery = answers
        .iter()
        .filter(|(at, _)| last_failure.is_none_or(|f| *at > f))
        .count();
    assert!(
        after_recovery >= 5,
        "{what}: logins succeed again after the fault (the last failure {recovered_after:?} after it; {} answers)",
        answers.len()
    );
    let failed = answers.iter().filter(|(_, s)| *s == 503).count();
    eprintln!(
        "{what}: {} logins, {failed} answered 503, the last failure {recovered_after:?} after the fault",
        answers.len()
    );
    recovered_after
}
