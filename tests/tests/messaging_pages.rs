//! The messaging pages in a real headless Chromium, in French: sign in through the idp,
//! compose in a category, an agent answers from the queue, the professional's open thread
//! shows the answer without a reload (server-sent events); every page passes axe-core's
//! WCAG 2.1 A/AA rules, blank and showing its errors; hostile text is rendered inert.

use std::time::Duration;

use fantoccini::{Client, Locator};
use idp::domain::Role;
use integration_tests::chromium::{Driver, WAIT, axe_violations, bounded, fill, heading, submit};
use integration_tests::messaging::{Messaging, spawn_messaging};
use integration_tests::{PASSWORD, wait_until};

const PRO: &str = "IP27182";
const AGENT: &str = "CE31415";

async fn at(browser: &Client, prefix: &str) -> bool {
    wait_until(WAIT, Duration::from_millis(100), async || {
        browser
            .current_url()
            .await
            .is_ok_and(|u| u.as_str().starts_with(prefix))
    })
    .await
}

/// Signs `username` in to messaging through the idp's login page.
async fn sign_in(browser: &Client, m: &Messaging, username: &str) {
    bounded("messaging", browser.goto(&format!("{}/login", m.url))).await;
    assert!(
        at(browser, &m.idp.url("/login")).await,
        "the idp's login page"
    );
    fill(browser, "username", username).await;
    fill(browser, "password", PASSWORD).await;
    submit(browser).await;
    assert!(
        at(browser, &format!("{}/", m.url)).await,
        "back on messaging"
    );
}

/// The page's text; empty while the page is being (re)loaded.
async fn page_text(browser: &Client) -> String {
    let Ok(body) = browser.find(Locator::Css("body")).await else {
        return String::new();
    };
    body.text().await.unwrap_or_default()
}

async fn no_violations(browser: &Client, what: &str) {
    let found = axe_violations(browser).await;
    assert!(
        found.is_empty(),
        "{what}: WCAG 2.1 A/AA violations:\n{}",
        found.join("\n")
    );
}

#[tokio::test]
async fn a_professional_composes_in_french_an_agent_replies_and_the_open_thread_shows_it_live() {
    let m = spawn_messaging().await;
    m.idp.add_user(PRO).await;
    m.idp.add_account(AGENT, "staff", None).await;
    m.grant_role(AGENT, Role::MessagingAgent).await;
    m.add_agent(AGENT, "facturation", false).await;

    let pro_driver = Driver::start().await;
    let pro = pro_driver.session().await;
    sign_in(&pro, &m, PRO).await;
    assert_eq!(heading(&pro).await, "Boîte de réception");
    no_violations(&pro, "the empty inbox").await;

    bounded("compose", pro.goto(&format!("{}/threads/new", m.url))).await;
    assert_eq!(heading(&pro).await, "Nouveau message");
    no_violations(&pro, "the compose page").await;
    // Sent blank, the form comes back with its errors tied to the fields.
    let form = bounded("the form", pro.find(Locator::Css("form.compose"))).await;
    bounded(
        "no browser validation",
        pro.execute(
            "document.querySelector('form.compose').noValidate = true; return true;",
            vec![],
        ),
    )
    .await;
    drop(form);
    submit_compose(&pro).await;
    let refused = wait_until(WAIT, Duration::from_millis(100), async || {
        page_text(&pro).await.contains("Corrigez ce qui suit")
    })
    .await;
    assert!(refused, "the errors are listed: {}", page_text(&pro).await);
    no_violations(&pro, "the compose page with its errors").await;

    let category = bounded("category", pro.find(Locator::Id("category"))).await;
    bounded("choose billing", category.select_by_value("billing")).await;
    fill(
        &pro,
        "subject",
        "<script>alert('objet')</script> Paiement refusé",
    )
    .await;
    fill(&pro, "body", "Bonjour,\nma demande 2026-118 a été refusée. <img src=x onerror=alert(1)> https://exemple.org").await;
    submit_compose(&pro).await;
    assert!(
        at(&pro, &format!("{}/threads/", m.url)).await,
        "the new thread's page"
    );
    let text = page_text(&pro).await;
    assert!(text.contains("ma demande 2026-118"), "{text}");
    assert!(
        text.contains("<img src=x onerror=alert(1)>"),
        "markup is shown as text: {text}"
    );
    let inert = bounded("inert", pro.execute(
        "return [document.querySelectorAll('main img, main script, .body a').length, document.title];",
        vec![],
    ))
    .await;
    assert_eq!(inert[0], 0, "no element from the typed text: {inert}");
    no_violations(&pro, "the thread page").await;
    let thread_url = bounded("url", pro.current_url()).await.to_string();

    let agent_driver = Driver::start().await;
    let agent = agent_driver.session().await;
    sign_in(&agent, &m, AGENT).await;
    bounded("queue", agent.goto(&format!("{}/queue", m.url))).await;
    no_violations(&agent, "the queue").await;
    let link = bounded(
        "the thread in the queue",
        agent.find(Locator::Css("tbody a")),
    )
    .await;
    bounded("open it", link.click()).await;
    assert!(at(&agent, &thread_url).await);
    no_violations(&agent, "the thread page on the agency side").await;
    fill(&agent, "body", "Il manquait le numéro d'autorisation.").await;
    let send = bounded(
        "send",
        agent.find(Locator::Css(
            "form[action$='/messages'] button[type=submit]",
        )),
    )
    .await;
    bounded("send it", send.click()).await;
    assert!(at(&agent, &thread_url).await);

    // The professional's open thread page hears of it and reloads itself.
    let shown = wait_until(
        Duration::from_secs(15),
        Duration::from_millis(200),
        async || {
            page_text(&pro)
                .await
                .contains("Il manquait le numéro d'autorisation.")
        },
    )
    .await;
    assert!(
        shown,
        "the reply appears without a reload: {}",
        page_text(&pro).await
    );
    bounded("inbox", pro.goto(&format!("{}/", m.url))).await;
    let text = page_text(&pro).await;
    assert!(text.contains("En attente du professionnel"), "{text}");
    no_violations(&pro, "the inbox with a thread").await;
    // English is offered.
    let switch = bounded("English", pro.find(Locator::LinkText("English"))).await;
    bounded("switch", switch.click()).await;
    assert!(
        wait_until(WAIT, Duration::from_millis(100), async || heading(&pro)
            .await
            == "Inbox")
        .await
    );
    no_violations(&pro, "the inbox in English").await;
}

async fn submit_compose(browser: &Client) {
    let button = bounded(
        "send",
        browser.find(Locator::Css("form.compose button[type=submit]")),
    )
    .await;
    bounded("send it", button.click()).await;
}

#[tokio::test]
async fn pages_refuse_forged_forms_and_hide_what_is_not_yours() {
    let m = spawn_messaging().await;
    m.idp.add_user(PRO).await;
    m.idp.add_user("IP16180").await;
    let pro = m.token(PRO).await;
    let (status, opened) = m
        .call(
            reqwest::Method::POST,
            "/api/v1/threads",
            Some(&pro),
            Some(
                &serde_json::json!({ "category": "billing", "subject": "Privé", "body": "Secret" }),
            ),
        )
        .await;
    assert_eq!(status, 201);
    let thread = opened["thread_id"].as_str().unwrap().to_owned();

    // Another professional, signed in to the pages.
    let browser = m.http();
    let to_idp = integration_tests::get(&browser, format!("{}/login", m.url)).await;
    let back = integration_tests::login::sign_in(
        &m.idp,
        &browser,
        &integration_tests::location(&to_idp),
        "IP16180",
        PASSWORD,
    )
    .await;
    integration_tests::get(&browser, integration_tests::location(&back)).await;
    let page = browser
        .get(format!("{}/threads/{thread}", m.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404, "another's thread is a 404 page");
    let text = page.text().await.unwrap();
    assert!(
        !text.contains("Privé") && !text.contains("Secret"),
        "{text}"
    );
    for (path, form) in [
        (
            format!("/threads/{thread}/messages"),
            vec![("csrf", "forged"), ("body", "x")],
        ),
        (
            "/threads".to_owned(),
            vec![
                ("csrf", "forged"),
                ("category", "billing"),
                ("subject", "s"),
                ("body", "b"),
            ],
        ),
    ] {
        let response = browser
            .post(format!("{}{path}", m.url))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{path}: a forged token is refused");
    }
    let db = m.state.db.get().await.unwrap();
    let count: i64 = db
        .query_one("SELECT count(*) FROM messages", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 1, "nothing was written");
    // Signed out, a page is the sign-in page.
    let anonymous = m.http();
    let page = anonymous
        .get(format!("{}/threads/{thread}", m.url))
        .send()
        .await
        .unwrap();
    let text = page.text().await.unwrap();
    assert!(
        text.contains("Se connecter") && !text.contains("Privé"),
        "{text}"
    );
    let headers = anonymous.get(format!("{}/", m.url)).send().await.unwrap();
    let csp = headers.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(headers.headers().contains_key("strict-transport-security"));
}
