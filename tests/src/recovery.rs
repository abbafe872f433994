//! "Mot de passe oublié?" driven over HTTP as a browser would: the start with a username, the
//! questions page and the answers posted to it.

use crate::credentials::{answer_for, catalogue};
use crate::page::{hidden_input, unescape};
use crate::{TestApp, location};

/// The questions page a recovery reached.
#[derive(Debug)]
pub struct Questions {
    /// The catalogue ids of the questions asked, in the order shown.
    pub ids: Vec<String>,
    /// The form's CSRF token.
    pub csrf: String,
}

/// The body of a response, HTML escapes undone (so texts can be searched as written).
pub async fn text_of(answer: reqwest::Response) -> String {
    unescape(&answer.text().await.unwrap())
}

/// GETs a page that must be shown (200); its HTML, escapes undone.
pub async fn page(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    let answer = browser.get(app.url(path)).send().await.unwrap();
    assert_eq!(answer.status(), 200, "{path} is shown");
    text_of(answer).await
}

/// Opens `/recovery` and submits `username`; the raw answer.
pub async fn start(app: &TestApp, browser: &reqwest::Client, username: &str) -> reqwest::Response {
    let html = page(app, browser, "/recovery").await;
    let csrf = hidden_input(&html, "csrf").expect("a csrf field");
    browser
        .post(app.url("/recovery"))
        .form(&[("csrf", csrf.as_str()), ("username", username)])
        .send()
        .await
        .unwrap()
}

/// Starts a recovery that must lead to the questions; the questions page it reached.
pub async fn start_to_questions(
    app: &TestApp,
    browser: &reqwest::Client,
    username: &str,
) -> Questions {
    let answer = start(app, browser, username).await;
    assert_eq!(
        answer.status(),
        303,
        "{username} can recover: on to the questions"
    );
    assert_eq!(location(&answer), "/recovery/questions");
    let html = page(app, browser, "/recovery/questions").await;
    Questions {
        ids: asked(&html),
        csrf: hidden_input(&html, "csrf").expect("a csrf field"),
    }
}

/// The catalogue ids of the questions a page asks, in the order shown (read from the French
/// texts of the labels).
pub fn asked(html: &str) -> Vec<String> {
    let mut found: Vec<(usize, String)> = catalogue()
        .catalogue
        .iter()
        .filter_map(|q| html.find(&q.fr).map(|at| (at, q.id.clone())))
        .collect();
    found.sort();
    found.into_iter().map(|(_, id)| id).collect()
}

/// The right answers to `questions`, exactly as `give_questions` set them (`answer_for` each).
pub fn exact_answers(questions: &[String]) -> Vec<String> {
    questions.iter().map(|q| answer_for(q)).collect()
}

/// Posts answers to the questions page shown in this browser, reading its CSRF token from the
/// page first; the raw answer.
pub async fn submit_answers(
    app: &TestApp,
    browser: &reqwest::Client,
    answers: &[String],
) -> reqwest::Response {
    let html = page(app, browser, "/recovery/questions").await;
    let csrf = hidden_input(&html, "csrf").expect("a csrf field");
    post_answers(app, browser, &csrf, answers).await
}

/// Posts answers with a CSRF token read earlier, without showing the page again (the recovery
/// may be gone by now); the raw answer.
pub async fn post_answers(
    app: &TestApp,
    browser: &reqwest::Client,
    csrf: &str,
    answers: &[String],
) -> reqwest::Response {
    let mut form = vec![("csrf".to_owned(), csrf.to_owned())];
    for (i, a) in answers.iter().enumerate() {
        form.push((format!("answer_{}", i + 1), a.clone()));
    }
    browser
        .post(app.url("/recovery/questions"))
        .form(&form)
        .send()
        .await
        .unwrap()
}
