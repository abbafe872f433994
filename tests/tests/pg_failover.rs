//! Postgres failover (issue 11): the idp's URL names a primary and its streaming replica with
//! `target_session_attrs=read-write`; the primary crashes in the middle of logins and refreshes,
//! the replica is promoted, and the node carries on with no restart — failing closed (503)
//! meanwhile, never 500, and losing no acknowledged write (replication is synchronous).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use figment::providers::Serialized;
use idp::keys::SigningAlg;
use integration_tests::load::{LoginLoad, judge};
use integration_tests::login::logs_in;
use integration_tests::pg_servers::{PgPair, psql};
use integration_tests::{CALLBACK, PASSWORD, confidential_client, oauth, provider_with, rp};

/// Refreshes one grant in a loop: each answer's time and status. A refresh whose answer was
/// lost may have rotated the token; its retry is then a reuse, and the rules revoke the family
/// (400 invalid_grant): the loop signs in again, as a relying party would.
async fn refresh_loop(
    p: Arc<integration_tests::Provider>,
    secret: String,
    stop: Arc<AtomicBool>,
) -> Vec<(Instant, u16)> {
    let mut answers = Vec::new();
    let mut token = None;
    while !stop.load(Ordering::Relaxed) {
        let current = match &token {
            Some(current) => current,
            None => {
                // A sign-in during the failover may fail (its helper asserts): try again.
                let signing_in = tokio::spawn({
                    let p = p.clone();
                    async move { rp::tokens_for(&p, "portal", "IP35001", PASSWORD).await }
                });
                match signing_in.await {
                    Ok(tokens) => token.insert(oauth::field(&tokens, "refresh_token")),
                    Err(_) => {
                        answers.push((Instant::now(), 503));
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                }
            }
        };
        let (status, body) = oauth::refresh(&p.app, "portal", &secret, current).await;
        match status {
            200 => token = Some(oauth::field(&body, "refresh_token")),
            400 => {
                assert_eq!(body["error"], "invalid_grant", "{body}");
                let lost_answer_before = answers.last().is_some_and(|(_, s)| *s == 503);
                assert!(
                    lost_answer_before,
                    "a refresh refused with no lost answer before"
                );
                token = None;
            }
            _ => {}
        }
        answers.push((Instant::now(), status));
    }
    answers
}

#[tokio::test]
async fn logins_and_refreshes_carry_on_when_the_primary_fails_over_to_its_replica() {
    let mut pg = PgPair::start().await;
    let url = pg.url();
    let p = provider_with(
        confidential_client("portal", CALLBACK, SigningAlg::Es256),
        move |f| f.merge(Serialized::default("database.url", url.clone())),
    )
    .await;
    let secret = p.secret.clone().unwrap();
    p.app.add_user("IP35001").await;
    let p = Arc::new(p);

    let logins = LoginLoad::start(&p.app, 2).await;
    let stop = Arc::new(AtomicBool::new(false));
    let refreshes = tokio::spawn(refresh_loop(p.clone(), secret, stop.clone()));
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let fault = Instant::now();
    pg.primary.crash();
    pg.replica.promote();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let login_answers = logins.finish().await;
    stop.store(true, Ordering::Relaxed);
    let refresh_answers = refreshes.await.unwrap();

    let recovered = judge(&login_answers, fault, "postgres failover: logins");
    assert!(recovered < Duration::from_secs(20), "{recovered:?}");
    let odd: Vec<u16> = refresh_answers
        .iter()
        .map(|(_, s)| *s)
        .filter(|s| ![200, 400, 503].contains(s))
        .collect();
    assert!(
        odd.is_empty(),
        "refreshes: 200, 503 or a reuse's 400: {odd:?}"
    );
    let refreshed_after = refresh_answers
        .iter()
        .filter(|(at, s)| *at > fault + recovered && *s == 200)
        .count();
    assert!(
        refreshed_after > 0,
        "refreshes work again after the failover"
    );
    eprintln!(
        "postgres failover: {} refreshes, {} answered 503",
        refresh_answers.len(),
        refresh_answers.iter().filter(|(_, s)| *s == 503).count()
    );

    // No acknowledged write lost: every successful login opened a session, and each one is on
    // the promoted server.
    let signed_in = login_answers.iter().filter(|(_, s)| *s == 303).count();
    let sessions: usize = psql(
        pg.replica.port,
        &format!(
            "SELECT count(*) FROM {}.sso_sessions s JOIN {}.accounts a ON a.id = s.account_id \
             WHERE a.username LIKE 'IP3401%'",
            p.app.deployment.schema, p.app.deployment.schema
        ),
    )
    .parse()
    .unwrap();
    assert!(
        sessions >= signed_in,
        "{signed_in} logins answered, {sessions} sessions on the new primary"
    );
    assert!(
        logs_in(&p.app, "IP35001", PASSWORD).await,
        "and after the run"
    );
}
