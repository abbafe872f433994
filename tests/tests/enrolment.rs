//! Enrolment by NIP against a real Postgres: a NIP serves once, is refused for another
//! professional's number exactly like a wrong one, dies after the configured wrong tries (each
//! counted even when the caller gives up), says "expired" only to whoever typed it right, and
//! cannot be used once re-issued.

use idp::config::{EnrolmentConfig, Secret32};
use idp::enrolment::nip::{self, CheckError, NipRefused};
use idp::store::professionals::{self, Professional};
use integration_tests::spawn_app;

fn professional(number: &str, given: &str) -> Professional {
    Professional {
        number: number.into(),
        given_name: given.into(),
        family_name: "Tremblay".into(),
        profession: "medecin".into(),
        address: "1 rue Principale".into(),
        city: "Québec".into(),
        province: "QC".into(),
        postal_code: "G1A 1A1".into(),
        email: None,
    }
}

fn refused(outcome: Result<nip::Redeemable, CheckError>) -> Option<NipRefused> {
    match outcome {
        Err(CheckError::Refused(why)) => Some(why),
        Err(CheckError::Store(e)) => panic!("the store failed: {e}"),
        Ok(_) => None,
    }
}

#[tokio::test]
async fn a_nip_serves_once_is_refused_for_another_number_and_dies_after_the_wrong_tries() {
    let app = spawn_app().await;
    let pool = &app.deployment.db;
    let key = Secret32::new(Box::new([9u8; 32]));
    let rules = EnrolmentConfig {
        nip_valid_days: 60,
        nip_max_tries: 5,
    };
    let issued = {
        let mut db = pool.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        let people = vec![professional("12345", "Marie"), professional("23456", "Luc")];
        for p in &people {
            professionals::upsert(&tx, p).await.unwrap();
        }
        let issued = nip::issue(&tx, &key, rules, people).await.unwrap();
        tx.commit().await.unwrap();
        issued
    };
    let marie = issued[0].nip.printed();
    let luc = issued[1].nip.printed();

    // Marie's NIP with Luc's number: refused like any wrong NIP (and counted for Luc).
    assert_eq!(
        refused(nip::check(pool, &key, rules, "23456", &marie).await),
        Some(NipRefused::Wrong)
    );
    // An unknown number: the same answer.
    assert_eq!(
        refused(nip::check(pool, &key, rules, "99999", &marie).await),
        Some(NipRefused::Wrong)
    );
    // Right (typed in lower case with spaces): redeemable, then used once in the account's
    // transaction; afterwards refused.
    let typed = marie.to_lowercase().replace('-', " ");
    let ok = nip::check(pool, &key, rules, "12345", &typed)
        .await
        .unwrap();
    {
        let mut db = pool.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        nip::consume(&tx, "12345", ok).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(
        refused(nip::check(pool, &key, rules, "12345", &marie).await),
        Some(NipRefused::Wrong),
        "used once"
    );
    {
        let db = pool.get().await.unwrap();
        let enrolled: bool = db
            .query_one(
                "SELECT enrolled_at IS NOT NULL FROM professionals WHERE number = '12345'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert!(enrolled);
        let clear: i64 = db
            .query_one(
                "SELECT count(*) FROM nips WHERE position($1::bytea in nip_hash) > 0",
                &[&marie.replace('-', "").as_bytes()],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(clear, 0, "never stored in clear");
    }

    // Luc: one wrong try already (Marie's NIP); three more, then the fifth kills it: his
    // right NIP is then refused like a wrong one.
    for _ in 0..4 {
        assert_eq!(
            refused(nip::check(pool, &key, rules, "23456", "AAAAA-AAAAA").await),
            Some(NipRefused::Wrong)
        );
    }
    assert_eq!(
        refused(nip::check(pool, &key, rules, "23456", &luc).await),
        Some(NipRefused::Wrong),
        "dead after five wrong tries"
    );

    // A new NIP for Luc: expired, it says so only to the right NIP; re-issued between the
    // check and the account, it cannot be used.
    let again = {
        let mut db = pool.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        let issued = nip::issue(&tx, &key, rules, vec![professional("23456", "Luc")])
            .await
            .unwrap();
        tx.execute(
            "UPDATE nips SET expires_at = now() - interval '1 day' WHERE professional_number = '23456' AND used_at IS NULL AND invalidated_at IS NULL",
            &[],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        issued[0].nip.printed()
    };
    assert_eq!(
        refused(nip::check(pool, &key, rules, "23456", &again).await),
        Some(NipRefused::Expired)
    );
    assert_eq!(
        refused(nip::check(pool, &key, rules, "23456", "BBBBB-BBBBB").await),
        Some(NipRefused::Wrong),
        "a wrong guess does not learn that it expired"
    );
    let fresh = {
        let mut db = pool.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        let issued = nip::issue(&tx, &key, rules, vec![professional("23456", "Luc")])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        issued[0].nip.printed()
    };
    let ok = nip::check(pool, &key, rules, "23456", &fresh)
        .await
        .unwrap();
    {
        let mut db = pool.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        nip::issue(&tx, &key, rules, vec![professional("23456", "Luc")])
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let mut db = pool.get().await.unwrap();
    let tx = db.transaction().await.unwrap();
    assert!(
        matches!(
            nip::consume(&tx, "23456", ok).await,
            Err(CheckError::Refused(NipRefused::Wrong))
        ),
        "re-issued meanwhile: the checked NIP is dead"
    );
}
