//! The messaging pages in a real headless Chromium, in French: sign in through the idp,
//! compose in a category with a file (sent with its progress bar), an agent downloads it and
//! answers from the queue, the professional's open thread
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
    if username == AGENT {
        // An agency role gives its second factor: the code of its authenticator app.
        assert!(at(browser, &m.idp.url("/mfa")).await, "the code page");
        assert_eq!(heading(browser).await, "Code de vérification");
        no_violations(browser, "the second-factor page").await;
        let secret = integration_tests::credentials::fresh_totp(&m.idp, username).await;
        let code = idp::second_factor::totp::current_code(&secret).unwrap();
        fill(browser, "code", &code).await;
        submit(browser).await;
    }
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
    // A file, chosen as a person would (its name is hostile too).
    let dir = tempfile_dir();
    let file = dir.join("Relevé <img src=x onerror=alert(2)>.pdf");
    let content = pdf(250_000);
    std::fs::write(&file, &content).unwrap();
    let input = bounded("the file input", pro.find(Locator::Id("files"))).await;
    bounded("choose the file", input.send_keys(file.to_str().unwrap())).await;
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
    assert!(
        text.contains("Relevé <img src=x onerror=alert(2)>.pdf"),
        "the file is listed, its name as text: {text}"
    );
    assert_eq!(
        fetched_size(&pro).await,
        content.len(),
        "the professional gets the file back"
    );
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
    assert_eq!(
        fetched_size(&agent).await,
        content.len(),
        "the agent downloads the same file"
    );
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

/// A folder for files a test hands to the browser.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pages-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A PDF of `size` bytes.
fn pdf(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..size).map(|i| (i * 7 % 251) as u8));
    bytes.truncate(size);
    bytes
}

/// The size of the first file listed on the page, as the browser downloads it.
async fn fetched_size(browser: &Client) -> usize {
    let size = bounded(
        "download the listed file",
        browser.execute(
            "const a = document.querySelector('ul.attachments a'); \
             return a ? fetch(a.href).then(r => r.ok ? r.arrayBuffer() : new ArrayBuffer(0)).then(b => b.byteLength) : -1;",
            vec![],
        ),
    )
    .await;
    usize::try_from(size.as_i64().unwrap_or(-1)).unwrap_or(0)
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
    let thread = m.open_thread(&pro, "Privé", "Secret").await;

    // Another professional, signed in to the pages.
    let browser = signed_in(&m, "IP16180").await;
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

/// An HTTP client signed in to the pages as `username` (through the idp's login form).
async fn signed_in(m: &Messaging, username: &str) -> reqwest::Client {
    let browser = m.http();
    let to_idp = integration_tests::get(&browser, format!("{}/login", m.url)).await;
    let back = integration_tests::login::sign_in(
        &m.idp,
        &browser,
        &integration_tests::location(&to_idp),
        username,
        PASSWORD,
    )
    .await;
    integration_tests::get(&browser, integration_tests::location(&back)).await;
    browser
}

/// The form token of the page at `path`.
async fn csrf_of(browser: &reqwest::Client, m: &Messaging, path: &str) -> String {
    let page = text_of(browser, format!("{}{path}", m.url)).await;
    integration_tests::page::hidden_input(&page, "csrf").unwrap()
}

async fn post_reply(
    browser: &reqwest::Client,
    m: &Messaging,
    thread: &str,
    csrf: &str,
    files: Vec<(&str, Vec<u8>)>,
) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .text("body", "Voici le document");
    for (name, bytes) in files {
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    }
    let response = browser
        .post(format!("{}/threads/{thread}/messages", m.url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.unwrap();
    (status, if status == 303 { location } else { text })
}

async fn count(m: &Messaging, table: &str) -> i64 {
    let db = m.state.db.get().await.unwrap();
    db.query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn files_sent_from_the_pages_are_checked_and_a_refused_one_leaves_nothing() {
    let m = spawn_messaging().await;
    m.idp.add_user(PRO).await;
    m.idp.add_user("IP16180").await;
    let token = m.token(PRO).await;
    let thread = m.open_thread(&token, "Pièces", "Début").await;
    let browser = signed_in(&m, PRO).await;
    let csrf = csrf_of(&browser, &m, &format!("/threads/{thread}")).await;

    // A program named .pdf: refused, said in French at the file input, nothing kept.
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    exe.resize(4096, 0);
    let (status, page) = post_reply(&browser, &m, &thread, &csrf, vec![("facture.pdf", exe)]).await;
    assert_eq!(status, 415, "{page}");
    assert!(
        page.contains("Ce type de fichier n&#39;est pas accepté")
            || page.contains("Ce type de fichier n'est pas accepté"),
        "{page}"
    );
    assert!(
        page.contains("id=\"files-error\""),
        "tied to the file input: {page}"
    );
    // Eleven files: refused before the eleventh is read; the ten read are withdrawn.
    let many = (0..11).map(|i| ("p.pdf", pdf(1000 + i))).collect();
    let (status, page) = post_reply(&browser, &m, &thread, &csrf, many).await;
    assert_eq!(status, 422, "{page}");
    // A forged token with a file: refused before the file is read.
    let (status, _) = post_reply(&browser, &m, &thread, "forged", vec![("a.pdf", pdf(2000))]).await;
    assert_eq!(status, 403);
    assert_eq!(count(&m, "attachments").await, 0, "no row");
    assert!(
        m.blob_names().await.is_empty(),
        "no blob: {:?}",
        m.blob_names().await
    );
    assert_eq!(count(&m, "messages").await, 1, "no message");

    // Sent: back to the thread, which lists the file; the agency's side is not involved.
    let content = pdf(120_000);
    let (status, location) = post_reply(
        &browser,
        &m,
        &thread,
        &csrf,
        vec![("../../Relevé.pdf", content.clone())],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, format!("/threads/{thread}").as_str())
    );
    let page = text_of(&browser, format!("{}/threads/{thread}", m.url)).await;
    let at = page.find("/attachments/").unwrap();
    let href = &page[page[..at].rfind('"').unwrap() + 1..at + page[at..].find('"').unwrap()];
    assert!(
        page.contains(">Relevé.pdf<"),
        "the name without its path: {page}"
    );
    let got = browser
        .get(format!("{}{href}", m.url))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert!(
        got.bytes().await.unwrap().as_ref() == content.as_slice(),
        "byte-identical"
    );
    // Another professional: the same link is a 404 page.
    let other = signed_in(&m, "IP16180").await;
    let refused = other.get(format!("{}{href}", m.url)).send().await.unwrap();
    assert_eq!(refused.status(), 404);

    // A new thread with a file, for a professional one does not act for: refused before the
    // file is read.
    let csrf = csrf_of(&browser, &m, "/threads/new").await;
    let before = m.blob_names().await.len();
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("category", "billing")
        .text("subject", "Pour un autre")
        .text("body", "Bonjour")
        .text("professional", "IP16180")
        .part(
            "files",
            reqwest::multipart::Part::bytes(pdf(5000)).file_name("a.pdf"),
        );
    let response = browser
        .post(format!("{}/threads", m.url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(m.blob_names().await.len(), before, "nothing sealed");
    // Part headers that never end (an endless body): refused after a bounded read, not
    // buffered up to the route's body limit.
    let boundary = "XyZ";
    let head = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\nX-Junk: ");
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&sent);
    let endless = futures_util::stream::iter(
        std::iter::once(head.into_bytes())
            .chain(std::iter::repeat_with(|| vec![b'a'; 64 * 1024]))
            .map(move |chunk| {
                counted.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
                Ok::<_, std::io::Error>(chunk)
            }),
    );
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        browser
            .post(format!("{}/threads/{thread}/messages", m.url))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(reqwest::Body::wrap_stream(endless))
            .send(),
    )
    .await
    .expect("the service answers (or closes) without reading on");
    if let Ok(response) = answer {
        assert_eq!(response.status(), 403, "read as a broken form");
    }
    let read = sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        read < 64 * 1024 * 1024,
        "{read} bytes were taken before the refusal"
    );
    let page = browser
        .get(format!("{}/threads/{thread}", m.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "the service carries on");
}

/// The value of the field `id`.
async fn value_of(browser: &Client, id: &str) -> String {
    let field = bounded(id, browser.find(Locator::Id(id))).await;
    bounded("its value", field.prop("value"))
        .await
        .unwrap_or_default()
}

#[tokio::test]
async fn what_is_typed_is_saved_as_a_draft_and_given_back_in_french() {
    let m = spawn_messaging().await;
    m.idp.add_user(PRO).await;
    let driver = Driver::start().await;
    let browser = driver.session().await;
    sign_in(&browser, &m, PRO).await;
    bounded("compose", browser.goto(&format!("{}/threads/new", m.url))).await;
    fill(&browser, "subject", "Brouillon de test").await;
    fill(&browser, "body", "Texte à reprendre plus tard").await;
    let saved = wait_until(
        Duration::from_secs(10),
        Duration::from_millis(200),
        async || page_text(&browser).await.contains("Brouillon enregistré à"),
    )
    .await;
    assert!(saved, "the status says so: {}", page_text(&browser).await);
    no_violations(&browser, "the compose page with its draft status").await;

    // Away and back: the draft is in the form.
    bounded("inbox", browser.goto(&format!("{}/", m.url))).await;
    bounded(
        "compose again",
        browser.goto(&format!("{}/threads/new", m.url)),
    )
    .await;
    assert_eq!(value_of(&browser, "subject").await, "Brouillon de test");
    assert_eq!(
        value_of(&browser, "body").await,
        "Texte à reprendre plus tard"
    );
    assert!(
        page_text(&browser).await.contains("Brouillon repris"),
        "{}",
        page_text(&browser).await
    );
    no_violations(&browser, "the compose page with a restored draft").await;

    // A forged token saves nothing.
    let http = signed_in(&m, PRO).await;
    let forged = http
        .post(format!("{}/drafts/new", m.url))
        .form(&[("csrf", "forged"), ("body", "autre")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    bounded("reload", browser.refresh()).await;
    assert_eq!(
        value_of(&browser, "body").await,
        "Texte à reprendre plus tard"
    );
}

#[tokio::test]
async fn an_agent_writes_an_internal_note_from_the_thread_page_and_the_professional_never_sees_it()
{
    let m = spawn_messaging().await;
    m.idp.add_user(PRO).await;
    m.idp.add_account(AGENT, "staff", None).await;
    m.grant_role(AGENT, Role::MessagingAgent).await;
    m.add_agent(AGENT, "facturation", false).await;
    let pro_token = m.token(PRO).await;
    let thread = m.open_thread(&pro_token, "Question", "Bonjour").await;
    let agent = signed_in(&m, AGENT).await;
    let page = text_of(&agent, format!("{}/threads/{thread}", m.url)).await;
    assert!(
        page.contains("name=\"note\""),
        "the agent's reply form offers the note box: {page}"
    );
    let csrf = integration_tests::page::hidden_input(&page, "csrf").unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("body", "Note interne : vérifier l'autorisation")
        .text("note", "true");
    let sent = agent
        .post(format!("{}/threads/{thread}/messages", m.url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 303);
    let agency_view = text_of(&agent, format!("{}/threads/{thread}", m.url)).await;
    assert!(agency_view.contains("Note interne"), "{agency_view}");
    let pro = signed_in(&m, PRO).await;
    let pro_view = text_of(&pro, format!("{}/threads/{thread}", m.url)).await;
    assert!(
        !pro_view.contains("Note interne") && !pro_view.contains("name=\"note\""),
        "{pro_view}"
    );
}

/// The text of the page at `url`, as `client` gets it.
async fn text_of(client: &reqwest::Client, url: String) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}
