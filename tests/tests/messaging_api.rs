//! The messaging service's JSON API against a real idp: threads routed by category to a
//! team's queue, replies both ways, read status, internal notes, staff acting for a
//! professional, 404 for anything not the caller's, hostile tokens and bodies, encryption at
//! rest and key-encryption-key rotation.

use aws_lc_rs::hmac;
use idp::admin::delegations::{self, Delegation};
use idp::domain::Role;
use integration_tests::b64url;
use integration_tests::jwt::{claims, header};
use integration_tests::messaging::{Messaging, spawn_messaging};
use reqwest::Method;
use serde_json::{Value, json};

const PRO: &str = "IP27182";
const OTHER_PRO: &str = "IP16180";
const AGENT: &str = "CE31415";
const STAFF: &str = "CE14142";

/// Messaging with a professional, an agent of `facturation` (role and row) and their tokens.
struct World {
    m: Messaging,
    pro: String,
    agent: String,
}

async fn world() -> World {
    let m = spawn_messaging().await;
    m.idp.add_user(PRO).await;
    m.idp.add_account(AGENT, "staff", None).await;
    m.grant_role(AGENT, Role::MessagingAgent).await;
    m.add_agent(AGENT, "facturation", false).await;
    let pro = m.token(PRO).await;
    let agent = m.token(AGENT).await;
    World { m, pro, agent }
}

fn new_thread(category: &str, subject: &str, body: &str) -> Value {
    json!({ "category": category, "subject": subject, "body": body })
}

async fn open(w: &World, token: &str, thread: &Value) -> String {
    let (status, answer) =
        w.m.call(Method::POST, "/api/v1/threads", Some(token), Some(thread))
            .await;
    assert_eq!(status, 201, "{answer}");
    answer["thread_id"].as_str().unwrap().to_owned()
}

fn ids(list: &Value) -> Vec<String> {
    list["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_thread_goes_to_its_teams_queue_an_agent_answers_and_read_status_follows_both_ways() {
    let w = world().await;
    let body = "Bonjour, ma demande de paiement 2026-118 a été refusée. Pourquoi?";
    let thread = open(&w, &w.pro, &new_thread("billing", "Paiement refusé", body)).await;

    let (status, queue) =
        w.m.call(
            Method::GET,
            "/api/v1/threads?queue=unassigned",
            Some(&w.agent),
            None,
        )
        .await;
    assert_eq!(status, 200, "{queue}");
    assert_eq!(
        ids(&queue),
        std::slice::from_ref(&thread),
        "the billing category routes to facturation"
    );
    assert_eq!(queue["threads"][0]["unread"], 1);
    assert_eq!(queue["threads"][0]["state"], "awaiting_agency");
    assert_eq!(queue["threads"][0]["team"], "facturation");

    let (status, _) =
        w.m.call(
            Method::POST,
            &format!("/api/v1/threads/{thread}/take"),
            Some(&w.agent),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, mine) =
        w.m.call(
            Method::GET,
            "/api/v1/threads?queue=mine",
            Some(&w.agent),
            None,
        )
        .await;
    assert_eq!(ids(&mine), std::slice::from_ref(&thread));
    let (_, unassigned) =
        w.m.call(
            Method::GET,
            "/api/v1/threads?queue=unassigned",
            Some(&w.agent),
            None,
        )
        .await;
    assert!(ids(&unassigned).is_empty(), "{unassigned}");

    let (status, shown) = w.m.show_thread(&w.agent, &thread).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["messages"][0]["body"], body);
    assert_eq!(shown["messages"][0]["author"], "Marie Tremblay");
    let reply = json!({ "body": "Il manquait le numéro d'autorisation. Vous pouvez la soumettre de nouveau." });
    let (status, posted) = w.m.post_message(&w.agent, &thread, &reply).await;
    assert_eq!(status, 201, "{posted}");
    assert_eq!(posted["thread_id"], thread.as_str());

    let (_, inbox) =
        w.m.call(Method::GET, "/api/v1/threads", Some(&w.pro), None)
            .await;
    assert_eq!(ids(&inbox), std::slice::from_ref(&thread));
    assert_eq!(
        inbox["threads"][0]["unread"], 1,
        "the agent's reply is unread: {inbox}"
    );
    assert_eq!(inbox["threads"][0]["state"], "awaiting_professional");
    let (_, shown) = w.m.show_thread(&w.pro, &thread).await;
    assert_eq!(shown["messages"].as_array().unwrap().len(), 2);
    assert_eq!(shown["messages"][1]["body"], reply["body"]);
    let (_, inbox) =
        w.m.call(Method::GET, "/api/v1/threads", Some(&w.pro), None)
            .await;
    assert_eq!(inbox["threads"][0]["unread"], 0, "read once shown: {inbox}");

    let (_, shown) = w.m.show_thread(&w.agent, &thread).await;
    let pro_sub = claims(&w.pro)["sub"].clone();
    assert_eq!(
        shown["messages"][1]["read_by"][0]["sub"], pro_sub,
        "the agent sees it read: {shown}"
    );
    assert_eq!(
        shown["messages"][0]["read_by"][0]["sub"],
        claims(&w.agent)["sub"]
    );

    // At rest, the bodies are sealed; subject and category stay in clear (routing, search).
    let db = w.m.state.db.get().await.unwrap();
    let rows = db.query("SELECT body FROM messages", &[]).await.unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let sealed: Vec<u8> = row.get(0);
        assert!(
            !sealed
                .windows(7)
                .any(|w| w == b"Bonjour" || w == b"manquai"),
            "a body is in clear"
        );
    }
}

#[tokio::test]
async fn anything_not_the_callers_is_404_exactly_like_what_does_not_exist() {
    let w = world().await;
    let thread = open(
        &w,
        &w.pro,
        &new_thread("billing", "Mon dossier", "Question privée"),
    )
    .await;
    w.m.idp.add_user(OTHER_PRO).await;
    let other = w.m.token(OTHER_PRO).await;
    // An agent of another team, and someone with the role but no row in `agents`.
    w.m.idp.add_account("CE27183", "staff", None).await;
    w.m.grant_role("CE27183", Role::MessagingAgent).await;
    w.m.add_agent("CE27183", "selat", false).await;
    let other_team = w.m.token("CE27183").await;
    w.m.idp.add_account("CE27184", "staff", None).await;
    w.m.grant_role("CE27184", Role::MessagingAgent).await;
    let role_only = w.m.token("CE27184").await;
    // And a row in `agents` without the role in the token.
    w.m.idp.add_account("CE27185", "staff", None).await;
    w.m.add_agent("CE27185", "facturation", true).await;
    let row_only = w.m.token("CE27185").await;

    let missing = uuid::Uuid::now_v7().to_string();
    let (status, nothing) = w.m.show_thread(&w.pro, &missing).await;
    assert_eq!(status, 404);
    for (token, who) in [
        (&other, "another professional"),
        (&other_team, "an agent of another team"),
        (&role_only, "the role without the row"),
        (&row_only, "the row without the role"),
    ] {
        for (method, path, body) in [
            (Method::GET, format!("/api/v1/threads/{thread}"), None),
            (
                Method::POST,
                format!("/api/v1/threads/{thread}/messages"),
                Some(json!({ "body": "Coucou" })),
            ),
            (Method::POST, format!("/api/v1/threads/{thread}/take"), None),
            (
                Method::POST,
                format!("/api/v1/threads/{thread}/close"),
                None,
            ),
        ] {
            let (status, answer) = w.m.call(method, &path, Some(token), body.as_ref()).await;
            assert_eq!((status, &answer), (404, &nothing), "{who}: {path}");
        }
        let (_, inbox) =
            w.m.call(Method::GET, "/api/v1/threads", Some(token), None)
                .await;
        assert!(!ids(&inbox).contains(&thread), "{who}: {inbox}");
    }
    for token in [&role_only, &row_only, &other] {
        let (status, _) =
            w.m.call(Method::GET, "/api/v1/threads?queue=all", Some(token), None)
                .await;
        assert_eq!(status, 404, "only agents (role and row) have queues");
    }
    let (status, _) =
        w.m.call(
            Method::POST,
            &format!("/api/v1/threads/{thread}/close"),
            Some(&w.pro),
            None,
        )
        .await;
    assert_eq!(status, 404, "a professional cannot close");
    for malformed in [
        "not-a-uuid",
        "..%2F..%2Fetc",
        "00000000-0000-0000-0000-00000000000g",
    ] {
        let (status, _) = w.m.show_thread(&w.pro, malformed).await;
        assert_eq!(status, 404, "{malformed}");
    }
    let db = w.m.state.db.get().await.unwrap();
    let count: i64 = db
        .query_one("SELECT count(*) FROM messages", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 1, "no refused request wrote anything");
}

#[tokio::test]
async fn internal_notes_reach_agents_only_and_do_not_pass_the_turn() {
    let w = world().await;
    let thread = open(
        &w,
        &w.pro,
        &new_thread("billing", "Remboursement", "Où en est mon remboursement?"),
    )
    .await;
    let note = json!({ "body": "Vérifier auprès de la RAMQ avant de répondre", "note": true });
    let (status, _) = w.m.post_message(&w.agent, &thread, &note).await;
    assert_eq!(status, 201);
    let (status, _) = w.m.post_message(&w.pro, &thread, &note).await;
    assert_eq!(status, 404, "a professional cannot write a note");

    let (_, agency) = w.m.show_thread(&w.agent, &thread).await;
    assert_eq!(agency["messages"].as_array().unwrap().len(), 2);
    assert_eq!(agency["messages"][1]["note"], true);
    let (_, pro) = w.m.show_thread(&w.pro, &thread).await;
    let bodies: Vec<&str> = pro["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["Où en est mon remboursement?"],
        "no note on the professional side"
    );
    assert_eq!(
        pro["state"], "awaiting_agency",
        "a note does not pass the turn"
    );
    let (_, inbox) =
        w.m.call(Method::GET, "/api/v1/threads", Some(&w.pro), None)
            .await;
    assert_eq!(
        inbox["threads"][0]["unread"], 0,
        "a note is not unread for the professional"
    );
}

#[tokio::test]
async fn staff_write_for_a_professional_they_act_for_until_the_delegation_is_revoked() {
    let w = world().await;
    w.m.idp.add_account(STAFF, "staff", None).await;
    {
        let db = w.m.idp.deployment.db.get().await.unwrap();
        let delegation = Delegation {
            staff: STAFF,
            professional: PRO,
            service: Some("messaging"),
        };
        delegations::grant(&db, delegation).await.unwrap();
    }
    let staff = w.m.token(STAFF).await;
    let (status, refused) =
        w.m.call(
            Method::POST,
            "/api/v1/threads",
            Some(&staff),
            Some(&new_thread("billing", "Facture", "Bonjour")),
        )
        .await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("professional")),
        "staff say for whom: {refused}"
    );
    let mut thread = new_thread(
        "billing",
        "Facture de mars",
        "Bonjour, au nom du Dr Tremblay.",
    );
    thread["professional"] = json!(PRO);
    let id = open(&w, &staff, &thread).await;

    let (_, inbox) =
        w.m.call(Method::GET, "/api/v1/threads", Some(&w.pro), None)
            .await;
    assert_eq!(
        ids(&inbox),
        std::slice::from_ref(&id),
        "the professional sees what staff wrote for them"
    );
    let (_, shown) = w.m.show_thread(&w.agent, &id).await;
    assert_eq!(
        shown["messages"][0]["on_behalf_of"], "Marie Tremblay",
        "« au nom de … »: {shown}"
    );
    let mut other = thread.clone();
    other["professional"] = json!(OTHER_PRO);
    let (status, _) =
        w.m.call(Method::POST, "/api/v1/threads", Some(&staff), Some(&other))
            .await;
    assert_eq!(status, 422, "not for someone without a delegation");

    {
        let db = w.m.idp.deployment.db.get().await.unwrap();
        let delegation = Delegation {
            staff: STAFF,
            professional: PRO,
            service: Some("messaging"),
        };
        delegations::revoke(&db, delegation).await.unwrap();
    }
    let staff = w.m.token(STAFF).await;
    let (status, _) = w.m.show_thread(&staff, &id).await;
    assert_eq!(status, 404, "revoked: the thread is gone for them");
    let (_, inbox) =
        w.m.call(Method::GET, "/api/v1/threads", Some(&staff), None)
            .await;
    assert!(ids(&inbox).is_empty(), "{inbox}");
}

#[tokio::test]
async fn an_agent_opens_a_thread_to_a_professional_who_uses_messaging() {
    let w = world().await;
    // The professional has called the API once: messaging knows them from the idp's userinfo.
    let (status, _) =
        w.m.call(Method::GET, "/api/v1/threads", Some(&w.pro), None)
            .await;
    assert_eq!(status, 200);
    let mut thread = new_thread(
        "billing",
        "Pièce manquante",
        "Pourriez-vous nous envoyer la facture?",
    );
    thread["professional"] = json!(PRO);
    let id = open(&w, &w.agent, &thread).await;
    let (_, inbox) =
        w.m.call(Method::GET, "/api/v1/threads", Some(&w.pro), None)
            .await;
    assert_eq!(ids(&inbox), [id]);
    assert_eq!(inbox["threads"][0]["opened_by"], "agency");
    assert_eq!(inbox["threads"][0]["state"], "awaiting_professional");
    assert_eq!(inbox["threads"][0]["unread"], 1);

    thread["professional"] = json!("IP99999");
    let (status, refused) =
        w.m.call(
            Method::POST,
            "/api/v1/threads",
            Some(&w.agent),
            Some(&thread),
        )
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (422, Some("unknown_professional"))
    );
    thread["professional"] = json!(PRO);
    thread["category"] = json!("selat");
    let (status, refused) =
        w.m.call(
            Method::POST,
            "/api/v1/threads",
            Some(&w.agent),
            Some(&thread),
        )
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (422, Some("not_your_team"))
    );
}

#[tokio::test]
async fn hostile_tokens_are_refused_with_a_bearer_challenge() {
    let w = world().await;
    let good = w.pro.clone();
    let parts: Vec<&str> = good.split('.').collect();
    let mut none_header = header(&good);
    none_header["alg"] = json!("none");
    let alg_none = format!("{}.{}.", b64url(none_header.to_string()), parts[1]);
    let mut hs_header = header(&good);
    hs_header["alg"] = json!("HS256");
    let jwks: Value = integration_tests::oauth::jwks(&w.m.idp).await;
    let public_key = serde_json::to_vec(&jwks["keys"][0]).unwrap();
    let signing_input = format!("{}.{}", b64url(hs_header.to_string()), parts[1]);
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, &public_key),
        signing_input.as_bytes(),
    );
    let hs256 = format!("{signing_input}.{}", b64url(tag.as_ref()));
    let mut unknown_kid = header(&good);
    unknown_kid["kid"] = json!("no-such-key");
    let unknown_kid = format!(
        "{}.{}.{}",
        b64url(unknown_kid.to_string()),
        parts[1],
        parts[2]
    );
    let mut id_token_typ = header(&good);
    id_token_typ["typ"] = json!("JWT");
    let wrong_typ = format!(
        "{}.{}.{}",
        b64url(id_token_typ.to_string()),
        parts[1],
        parts[2]
    );
    let mut tampered_claims = claims(&good);
    tampered_claims["sub"] = json!("someone-else");
    let tampered = integration_tests::jwt::with_claims(&good, &tampered_claims);
    // A real token of the same idp, for another client: the wrong audience.
    w.m.idp
        .register_client(integration_tests::confidential_client(
            "portal",
            integration_tests::CALLBACK,
            idp::keys::SigningAlg::Es256,
        ))
        .await;
    let id_token = integration_tests::oauth::field(&w.m.tokens(PRO).await, "id_token");

    for (token, why) in [
        ("", "empty"),
        ("garbage", "not a JWS"),
        (alg_none.as_str(), "alg none"),
        (hs256.as_str(), "HS256 signed with the public key"),
        (unknown_kid.as_str(), "unknown kid"),
        (wrong_typ.as_str(), "typ is not at+jwt"),
        (tampered.as_str(), "claims changed after signing"),
        (id_token.as_str(), "an id_token is not an access token"),
    ] {
        let response =
            w.m.http()
                .get(format!("{}/api/v1/threads", w.m.url))
                .header("Authorization", format!("Bearer {token}"))
                .send()
                .await
                .unwrap();
        assert_eq!(response.status(), 401, "{why}");
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer error=\"invalid_token\"",
            "{why}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_token", "{why}");
        assert!(
            body["message"].as_str().unwrap().contains("jeton"),
            "French by default: {body}"
        );
    }
    let (status, _) = w.m.call(Method::GET, "/api/v1/threads", None, None).await;
    assert_eq!(status, 401, "no token");
}

#[tokio::test]
async fn hostile_bodies_get_a_clear_translated_error_and_write_nothing() {
    let w = world().await;
    let long = "x".repeat(20_001);
    for (body, status, error, why) in [
        (
            json!({ "category": "billing", "subject": "  ", "body": "b" }),
            422,
            "required",
            "blank subject",
        ),
        (
            json!({ "category": "billing", "subject": "s", "body": long }),
            422,
            "too_long",
            "body too long",
        ),
        (
            json!({ "category": "billing", "subject": "a\u{0}b", "body": "b" }),
            422,
            "control_characters",
            "NUL in subject",
        ),
        (
            json!({ "category": "nope", "subject": "s", "body": "b" }),
            422,
            "unknown_category",
            "unknown category",
        ),
        (
            json!({ "category": "billing", "subject": "s" }),
            400,
            "malformed_body",
            "no body",
        ),
        (
            json!({ "category": "billing", "subject": "s", "body": "b", "admin": true }),
            400,
            "malformed_body",
            "unknown field",
        ),
        (
            json!(["not", "an", "object"]),
            400,
            "malformed_body",
            "an array",
        ),
    ] {
        let (got, answer) =
            w.m.call(Method::POST, "/api/v1/threads", Some(&w.pro), Some(&body))
                .await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(error)),
            "{why}: {answer}"
        );
        assert!(!answer["message"].as_str().unwrap().is_empty(), "{why}");
    }
    let response =
        w.m.http()
            .post(format!("{}/api/v1/threads", w.m.url))
            .bearer_auth(&w.pro)
            .header("Content-Type", "application/json")
            .header("Accept-Language", "en-CA,en;q=0.8")
            .body("{\"category\": ")
            .send()
            .await
            .unwrap();
    assert_eq!(response.status(), 400);
    let answer: Value = response.json().await.unwrap();
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("The request is malformed"),
        "English on request: {answer}"
    );
    let huge = format!(
        "{{\"category\":\"billing\",\"subject\":\"s\",\"body\":\"{}\"}}",
        "x".repeat(70_000)
    );
    let response =
        w.m.http()
            .post(format!("{}/api/v1/threads", w.m.url))
            .bearer_auth(&w.pro)
            .header("Content-Type", "application/json")
            .body(huge)
            .send()
            .await
            .unwrap();
    assert_eq!(response.status(), 413);
    for query in [
        "?queue=everything",
        "?state=lost",
        "?cursor=%%%",
        "?from=yesterday",
        "?colour=blue",
    ] {
        let (status, answer) =
            w.m.call(
                Method::GET,
                &format!("/api/v1/threads{query}"),
                Some(&w.pro),
                None,
            )
            .await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some("malformed_query")),
            "{query}"
        );
    }
    let db = w.m.state.db.get().await.unwrap();
    let count: i64 = db
        .query_one("SELECT count(*) FROM threads", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 0, "nothing was written");
}

#[tokio::test]
async fn a_key_rotation_keeps_every_message_readable_also_when_interrupted() {
    let w = world().await;
    let mut threads = Vec::new();
    for i in 0..3 {
        threads.push(
            open(
                &w,
                &w.pro,
                &new_thread("billing", &format!("Sujet {i}"), &format!("Message {i}")),
            )
            .await,
        );
    }
    let (pool, keyring) = (&w.m.state.db, &w.m.state.keyring);
    // Interrupted: a new KEK, one data key re-wrapped, then the process "dies".
    messaging::crypto::rotation::begin(pool, keyring)
        .await
        .unwrap();
    assert_eq!(
        messaging::crypto::rotation::rewrap_batch(pool, keyring, 1)
            .await
            .unwrap(),
        1
    );
    for (i, id) in threads.iter().enumerate() {
        let (_, shown) = w.m.show_thread(&w.pro, id).await;
        assert_eq!(
            shown["messages"][0]["body"],
            format!("Message {i}"),
            "mid-rotation"
        );
    }
    // A thread opened mid-rotation is wrapped under the new KEK.
    threads.push(open(&w, &w.pro, &new_thread("billing", "Sujet 3", "Message 3")).await);
    let report = messaging::crypto::rotation::rotate(pool, keyring, 500)
        .await
        .unwrap();
    assert!(
        !report.started,
        "the unfinished rotation is resumed, not a new one begun"
    );
    assert_eq!((report.rewrapped, report.retired), (2, 1), "{report:?}");
    let db = pool.get().await.unwrap();
    let states: Vec<(String, bool)> = db
        .query(
            "SELECT state, sealed IS NULL FROM keks ORDER BY created_at",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        states,
        [("retired".to_owned(), true), ("active".to_owned(), false)],
        "the old key is erased"
    );
    let report = messaging::crypto::rotation::rotate(pool, keyring, 500)
        .await
        .unwrap();
    assert_eq!(
        (report.started, report.rewrapped, report.retired),
        (true, 4, 1)
    );
    // A fresh keyring (another node, no cache) reads everything.
    let fresh = messaging::crypto::Keyring::new(
        messaging::crypto::MasterKey::load(&w.m.state.config.keys.master_key_file).unwrap(),
    );
    for (i, id) in threads.iter().enumerate() {
        let id: uuid::Uuid = id.parse().unwrap();
        let thread = messaging::store::threads::get(&db, id)
            .await
            .unwrap()
            .unwrap();
        let key = fresh
            .thread_key(&db, id, thread.kek_id, &thread.wrapped_key)
            .await
            .unwrap();
        let page = messaging::store::messages::page(&db, id, true, None, 10)
            .await
            .unwrap();
        let body = key
            .open_body(page[0].message.id, &page[0].message.body)
            .unwrap();
        assert_eq!(body, format!("Message {i}"));
    }
}

#[tokio::test]
async fn a_transfer_moves_the_thread_to_another_queue_with_a_note_the_professional_never_sees() {
    let w = world().await;
    let thread = open(
        &w,
        &w.pro,
        &new_thread("billing", "Aide technique", "Mon fauteuil roulant"),
    )
    .await;
    w.m.idp.add_account("CE27186", "staff", None).await;
    w.m.grant_role("CE27186", Role::MessagingAgent).await;
    w.m.add_agent("CE27186", "selat", false).await;
    let selat = w.m.token("CE27186").await;

    let path = format!("/api/v1/threads/{thread}/transfer");
    for (body, error) in [
        (json!({ "team": "nowhere", "note": "n" }), "unknown_team"),
        (
            json!({ "team": "facturation", "note": "n" }),
            "unknown_team",
        ),
        (json!({ "team": "selat", "note": " " }), "required"),
    ] {
        let (status, answer) =
            w.m.call(Method::POST, &path, Some(&w.agent), Some(&body))
                .await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (422, Some(error)),
            "{body}"
        );
    }
    let (status, _) =
        w.m.call(
            Method::POST,
            &path,
            Some(&w.pro),
            Some(&json!({ "team": "selat", "note": "n" })),
        )
        .await;
    assert_eq!(status, 404, "a professional cannot transfer");
    let transfer = json!({ "team": "selat", "note": "Relève des aides techniques" });
    let (status, _) =
        w.m.call(Method::POST, &path, Some(&w.agent), Some(&transfer))
            .await;
    assert_eq!(status, 204);

    let (status, _) = w.m.show_thread(&w.agent, &thread).await;
    assert_eq!(status, 404, "out of the first team's reach");
    let (_, queue) =
        w.m.call(
            Method::GET,
            "/api/v1/threads?queue=unassigned",
            Some(&selat),
            None,
        )
        .await;
    assert_eq!(ids(&queue), std::slice::from_ref(&thread));
    let (_, shown) = w.m.show_thread(&selat, &thread).await;
    assert_eq!(shown["messages"][1]["body"], "Relève des aides techniques");
    assert_eq!(shown["messages"][1]["note"], true);
    let (_, pro) = w.m.show_thread(&w.pro, &thread).await;
    assert_eq!(pro["messages"].as_array().unwrap().len(), 1, "{pro}");
}

#[tokio::test]
async fn every_thread_read_is_in_the_append_only_access_journal_and_its_export() {
    let w = world().await;
    let thread = open(
        &w,
        &w.pro,
        &new_thread("billing", "=HYPERLINK(\"x\")", "Bonjour"),
    )
    .await;
    let (status, _) = w.m.show_thread(&w.agent, &thread).await;
    assert_eq!(status, 200);
    let db = w.m.state.db.get().await.unwrap();
    let day = chrono::Duration::days(1);
    let now = chrono::Utc::now();
    let entries = messaging::store::journal::range(&db, now - day, now + day, None, 10)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0].1;
    assert_eq!(entry.actor_username, AGENT);
    assert_eq!(entry.action, "thread.read");
    assert_eq!(entry.thread_id.to_string(), thread);
    assert_eq!(entry.message_ids.len(), 1);
    assert_eq!(
        entry.ip.map(|ip| ip.to_string()).as_deref(),
        Some("127.0.0.1")
    );
    for statement in [
        "UPDATE access_journal SET actor_username = 'x'",
        "DELETE FROM access_journal",
        "TRUNCATE access_journal",
    ] {
        assert!(
            db.execute(statement, &[]).await.is_err(),
            "{statement}: the journal is append-only"
        );
    }
    let mut csv = Vec::new();
    let written = messaging::journal::export(&w.m.state.db, now - day, now + day, &mut csv)
        .await
        .unwrap();
    assert_eq!(written, 1);
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.starts_with("at,actor_sub,actor_username,action,thread_id"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!(",{AGENT},thread.read,{thread},")),
        "{csv}"
    );
}

#[tokio::test]
async fn the_sending_quota_answers_429_with_retry_after_and_reading_goes_on() {
    let m =
        integration_tests::messaging::spawn_messaging_setting("quotas.send_per_minute", 2).await;
    m.idp.add_user(PRO).await;
    let pro = m.token(PRO).await;
    let thread = new_thread("billing", "Sujet", "Premier");
    let (status, first) = m
        .call(Method::POST, "/api/v1/threads", Some(&pro), Some(&thread))
        .await;
    assert_eq!(status, 201);
    let id = first["thread_id"].as_str().unwrap();
    let (status, _) = m
        .post_message(&pro, id, &json!({ "body": "Deuxième" }))
        .await;
    assert_eq!(status, 201);
    let response = m
        .http()
        .post(format!("{}/api/v1/threads/{id}/messages", m.url))
        .bearer_auth(&pro)
        .json(&json!({ "body": "Troisième" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=61).contains(&retry), "{retry}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "quota_reached");
    let (status, shown) = m.show_thread(&pro, id).await;
    assert_eq!(status, 200, "reading is not counted");
    assert_eq!(
        shown["messages"].as_array().unwrap().len(),
        2,
        "the refused message was not written"
    );
}

#[tokio::test]
async fn with_redis_down_sending_is_refused_with_a_clear_503_and_reading_still_works() {
    let m =
        integration_tests::messaging::spawn_messaging_setting("redis.url", "redis://127.0.0.1:1")
            .await;
    m.idp.add_user(PRO).await;
    let pro = m.token(PRO).await;
    let (status, refused) = m
        .call(
            Method::POST,
            "/api/v1/threads",
            Some(&pro),
            Some(&new_thread("billing", "S", "B")),
        )
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (503, Some("sending_paused")),
        "{refused}"
    );
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("consultables"),
        "{refused}"
    );
    let (status, inbox) = m
        .call(Method::GET, "/api/v1/threads", Some(&pro), None)
        .await;
    assert_eq!(status, 200, "reading works: {inbox}");
    let db = m.state.db.get().await.unwrap();
    let count: i64 = db
        .query_one("SELECT count(*) FROM threads", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 0);
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_the_error_body() {
    let m = spawn_messaging().await;
    let (status, doc) = m
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    let mut paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort_unstable();
    let routes = messaging::api::ROUTES;
    let mut expected: Vec<&str> = routes
        .iter()
        .map(|(_, path)| *path)
        .filter(|p| *p != "/api/v1/openapi.json")
        .collect();
    expected.sort_unstable();
    expected.dedup();
    assert_eq!(
        paths, expected,
        "every API route is described, and nothing else"
    );
    for (method, path) in routes.iter().filter(|(_, p)| *p != "/api/v1/openapi.json") {
        assert!(
            doc["paths"][path][method.to_lowercase()].is_object(),
            "{method} {path}"
        );
    }
    // And ROUTES is what the router serves: each answers (401 without a token, or 200), none
    // falls through to the router's empty 404 or 405.
    let id = uuid::Uuid::now_v7();
    for (method, path) in routes {
        let url = format!("{}{}", m.url, path.replace("{id}", &id.to_string()));
        let response = m
            .http()
            .request(method.parse().unwrap(), url)
            .header("Content-Type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(matches!(status, 200 | 401), "{method} {path}: {status}");
    }
    let error = &doc["components"]["schemas"]["ErrorBody"]["properties"];
    assert!(
        error["error"].is_object() && error["message"].is_object(),
        "{error}"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

/// Reads a server-sent-event stream until `wanted` shows in it, or `limit` passes: the text
/// read so far.
async fn read_events_until(
    response: &mut reqwest::Response,
    wanted: &str,
    limit: std::time::Duration,
) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + limit;
    while !seen.contains(wanted) {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(chunk))) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            _ => break,
        }
    }
    seen
}

#[tokio::test]
async fn a_message_sent_on_one_node_reaches_a_reader_on_the_other_by_server_sent_events() {
    let w = world().await;
    let peer = w.m.spawn_peer().await;
    w.m.idp.add_user(OTHER_PRO).await;
    let other = w.m.token(OTHER_PRO).await;
    let thread = open(
        &w,
        &w.pro,
        &new_thread("billing", "Suivi", "Premier message"),
    )
    .await;
    let subscribe = |token: String| {
        let http = w.m.http();
        let url = format!("{peer}/api/v1/events");
        async move {
            let response = http.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(response.status(), 200);
            assert!(
                response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/event-stream")
            );
            response
        }
    };
    let mut agent_stream = subscribe(w.agent.clone()).await;
    let mut pro_stream = subscribe(w.pro.clone()).await;
    let mut other_stream = subscribe(other).await;
    // Let the subscriptions settle on the peer before sending on the first node.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let note = json!({ "body": "Note interne", "note": true });
    let (status, _) = w.m.post_message(&w.agent, &thread, &note).await;
    assert_eq!(status, 201);
    let (status, _) =
        w.m.post_message(
            &w.pro,
            &thread,
            &json!({ "body": "Avez-vous des nouvelles?" }),
        )
        .await;
    assert_eq!(status, 201);

    let limit = std::time::Duration::from_secs(10);
    let seen = read_events_until(&mut agent_stream, "\"kind\":\"message\"", limit).await;
    assert!(
        seen.contains("event: thread") && seen.contains(&thread),
        "the agent on the other node hears it: {seen}"
    );
    assert!(
        seen.contains("\"kind\":\"note\""),
        "agents hear notes: {seen}"
    );
    let seen = read_events_until(&mut pro_stream, "\"kind\":\"message\"", limit).await;
    assert!(seen.contains(&thread), "{seen}");
    assert!(
        !seen.contains("\"kind\":\"note\""),
        "a note is never announced to the professional side: {seen}"
    );
    assert!(
        !seen.contains("Avez-vous"),
        "events carry ids, never content: {seen}"
    );
    let seen = read_events_until(
        &mut other_stream,
        &thread,
        std::time::Duration::from_secs(1),
    )
    .await;
    assert!(
        !seen.contains(&thread),
        "another professional hears nothing of it: {seen}"
    );
}

#[tokio::test]
async fn notices_are_content_free_batched_per_interval_and_can_be_turned_off() {
    let m =
        integration_tests::messaging::spawn_messaging_setting("mail.notify_interval_secs", 3).await;
    m.idp.add_user(PRO).await;
    m.idp.add_account(AGENT, "staff", None).await;
    m.grant_role(AGENT, Role::MessagingAgent).await;
    m.add_agent(AGENT, "facturation", false).await;
    let pro = m.token(PRO).await;
    let agent = m.token(AGENT).await;
    let (pro_mail, agent_mail) = ("ip27182@example.org", "ce31415@example.org");
    let thread = new_thread("billing", "Paiement refusé 2026-118", "Pourquoi?");
    let (status, opened) = m
        .call(Method::POST, "/api/v1/threads", Some(&pro), Some(&thread))
        .await;
    assert_eq!(status, 201);
    let id = opened["thread_id"].as_str().unwrap().to_owned();
    let reply = |token: String, body: &'static str| {
        let path = format!("/api/v1/threads/{id}/messages");
        let m = &m;
        async move {
            let (status, _) = m
                .call(
                    Method::POST,
                    &path,
                    Some(&token),
                    Some(&json!({ "body": body })),
                )
                .await;
            assert_eq!(status, 201);
        }
    };
    reply(agent.clone(), "Il manque le numéro d'autorisation.").await;
    reply(agent.clone(), "Et la date du service.").await;

    let mails = m.idp.smtp.wait_for(pro_mail, 1).await;
    let notice = &mails[0];
    assert_eq!(
        notice.subject,
        "Nouveau message dans votre messagerie sécurisée"
    );
    assert!(
        notice
            .text
            .contains("Vous avez un nouveau message dans votre messagerie sécurisée"),
        "{}",
        notice.text
    );
    assert!(
        notice.links().iter().any(|l| l.starts_with(&m.url)),
        "a link to messaging: {:?}",
        notice.links()
    );
    for secret in [
        "Paiement",
        "2026-118",
        "autorisation",
        "Marie",
        "Tremblay",
        "CE31415",
        "facturation",
    ] {
        assert!(
            !notice.raw.contains(secret),
            "the notice says nothing of the message ({secret}): {}",
            notice.raw
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        m.idp.smtp.messages_to(pro_mail).await.len(),
        1,
        "two replies, one e-mail"
    );
    // Named after the oldest notice it covers: a resend after a lost commit is recognisable.
    let db = m.state.db.get().await.unwrap();
    let first: uuid::Uuid = db
        .query_one(
            "SELECT n.id FROM notifications n JOIN people p ON p.sub = n.recipient_sub \
             WHERE p.username = $1 ORDER BY n.id LIMIT 1",
            &[&PRO],
        )
        .await
        .unwrap()
        .get(0);
    let host = reqwest::Url::parse(&m.url).unwrap();
    let message_id = format!("Message-ID: <notice-{first}@{}>", host.host_str().unwrap());
    assert!(
        notice.raw.contains(&message_id),
        "{message_id}: {}",
        notice.raw
    );

    // The agent works the thread: the professional's reply reaches them.
    let (status, _) = m
        .call(
            Method::POST,
            &format!("/api/v1/threads/{id}/take"),
            Some(&agent),
            None,
        )
        .await;
    assert_eq!(status, 204);
    reply(pro.clone(), "Voici le numéro.").await;
    m.idp.smtp.wait_for(agent_mail, 1).await;

    let (status, prefs) = m
        .call(Method::GET, "/api/v1/preferences", Some(&pro), None)
        .await;
    assert_eq!(
        (status, prefs["notify_by_email"].as_bool()),
        (200, Some(true)),
        "on by default"
    );
    let off = json!({ "notify_by_email": false });
    let (status, _) = m
        .call(Method::PUT, "/api/v1/preferences", Some(&pro), Some(&off))
        .await;
    assert_eq!(status, 200);
    let (status, refused) = m
        .call(
            Method::PUT,
            "/api/v1/preferences",
            Some(&pro),
            Some(&json!({ "notify_by_email": "non" })),
        )
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("malformed_body"))
    );
    reply(agent.clone(), "Merci, c'est réglé.").await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert_eq!(
        m.idp.smtp.messages_to(pro_mail).await.len(),
        1,
        "turned off: no more notices"
    );
}

#[tokio::test]
async fn a_thread_one_agent_works_is_not_taken_or_released_by_another_but_a_supervisor_reassigns_it()
 {
    let w = world().await;
    let thread = open(&w, &w.pro, &new_thread("billing", "Dossier", "Bonjour")).await;
    w.m.idp.add_account("CE27190", "staff", None).await;
    w.m.grant_role("CE27190", Role::MessagingAgent).await;
    w.m.add_agent("CE27190", "facturation", false).await;
    let colleague = w.m.token("CE27190").await;
    w.m.idp.add_account("CE27191", "staff", None).await;
    w.m.grant_role("CE27191", Role::MessagingAgent).await;
    w.m.add_agent("CE27191", "facturation", true).await;
    let supervisor = w.m.token("CE27191").await;
    let act = |token: String, what: &'static str, body: Option<Value>| {
        let path = format!("/api/v1/threads/{thread}/{what}");
        let m = &w.m;
        async move {
            m.call(Method::POST, &path, Some(&token), body.as_ref())
                .await
        }
    };

    assert_eq!(act(w.agent.clone(), "take", None).await.0, 204);
    let (status, refused) = act(colleague.clone(), "take", None).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (422, Some("already_assigned"))
    );
    let (status, refused) = act(colleague.clone(), "release", None).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (422, Some("not_your_thread"))
    );
    let (status, refused) = act(
        colleague.clone(),
        "assign",
        Some(json!({ "agent": "CE27190" })),
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (422, Some("supervisors_only"))
    );
    assert_eq!(
        act(
            supervisor.clone(),
            "assign",
            Some(json!({ "agent": "CE27190" }))
        )
        .await
        .0,
        204
    );
    let (_, shown) = w.m.show_thread(&colleague, &thread).await;
    assert_eq!(shown["assignee"], "CE27190");
    assert_eq!(
        act(colleague.clone(), "release", None).await.0,
        204,
        "the assignee gives it back"
    );
    assert_eq!(
        act(w.agent.clone(), "take", None).await.0,
        204,
        "then anyone of the team takes it"
    );
}

#[tokio::test]
async fn one_address_hammering_the_service_gets_429_with_retry_after() {
    let m = integration_tests::messaging::spawn_messaging_with(|f| {
        f.merge(figment::providers::Serialized::default(
            "rate_limit.per_ip_per_second",
            1,
        ))
        .merge(figment::providers::Serialized::default(
            "rate_limit.per_ip_burst",
            3,
        ))
    })
    .await;
    let http = m.http();
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..6 {
        let response = http
            .get(format!("{}/api/v1/categories", m.url))
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            retry_after = response.headers().get("retry-after").cloned();
        }
        statuses.push(response.status().as_u16());
    }
    assert_eq!(&statuses[..3], [200, 200, 200], "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(retry_after.is_some(), "429 says when to come back");
    let probe = http.get(format!("{}/healthz", m.url)).send().await.unwrap();
    assert_eq!(probe.status(), 200, "the probes are not shaped");
}
