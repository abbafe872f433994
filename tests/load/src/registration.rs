//! The registration scenario (« Information et inscription »): each operation is one new
//! professional, with a number and NIP from the print house's `nips.csv` (`--nips`, written by
//! `idp nip issue`): `/enrol` (number + NIP) → the welcome page → a new password → the eight
//! secret questions → signed in at home. A fresh browser (client, cookie jar, connection) per
//! registration, as each is a different person.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context as _, bail, ensure};
use reqwest::StatusCode;
use reqwest::header;

use crate::flows::{Target, hidden_input, random_b64};

/// The numbers and NIPs to register with, each used once.
pub struct Nips {
    list: Vec<(String, String)>,
    next: AtomicUsize,
}

impl Nips {
    /// Reads `nips.csv` (its `numero` and `nip` columns).
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let mut reader = csv::Reader::from_path(path)
            .with_context(|| format!("cannot read --nips {}", path.display()))?;
        let headers = reader.headers()?.clone();
        let column = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .with_context(|| format!("{}: no `{name}` column", path.display()))
        };
        let (number, nip) = (column("numero")?, column("nip")?);
        let mut list = Vec::new();
        for record in reader.records() {
            let record = record?;
            list.push((
                record.get(number).unwrap_or_default().to_owned(),
                record.get(nip).unwrap_or_default().to_owned(),
            ));
        }
        ensure!(!list.is_empty(), "{}: no NIP", path.display());
        Ok(Self {
            list,
            next: AtomicUsize::new(0),
        })
    }

    fn take(&self) -> anyhow::Result<&(String, String)> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        match self.list.get(i) {
            Some(pair) => Ok(pair),
            None => bail!("every NIP of --nips is used: issue more"),
        }
    }
}

/// One registration, end to end; `questions` are the catalogue ids to answer.
pub async fn register(target: &Target, nips: &Nips, questions: &[String]) -> anyhow::Result<()> {
    let (number, nip) = nips.take()?;
    let http = target.cookie_client(1)?;
    let page = |path: &'static str| {
        let (http, url) = (http.clone(), target.url(path));
        async move {
            let response = http.get(url?).send().await?;
            let status = response.status();
            let body = response.text().await?;
            ensure!(status == StatusCode::OK, "GET {path}: {status}");
            hidden_input(&body, "csrf").with_context(|| format!("{path}: no csrf"))
        }
    };
    let post = |path: &'static str, form: Vec<(String, String)>, expected: &'static str| {
        let (http, url, origin) = (http.clone(), target.url(path), target.origin.clone());
        async move {
            let response = http
                .post(url?)
                .header(header::ORIGIN, origin)
                .form(&form)
                .send()
                .await?;
            let to = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            ensure!(
                response.status() == StatusCode::SEE_OTHER && to == expected,
                "POST {path}: {} to `{to}`, not 303 to {expected}",
                response.status()
            );
            Ok(())
        }
    };
    let field = |k: &str, v: &str| (k.to_owned(), v.to_owned());

    let csrf = page("/enrol").await?;
    let form = vec![
        field("csrf", &csrf),
        field("number", number),
        field("nip", nip),
    ];
    post("/enrol", form, "/enrol/welcome").await?;
    let password = format!("inscription du banc {}", random_b64(9)?);
    let csrf = page("/password/new").await?;
    let form = vec![
        field("csrf", &csrf),
        field("new_password", &password),
        field("confirm_password", &password),
    ];
    post("/password/new", form, "/questions").await?;
    let csrf = page("/questions").await?;
    let mut form = vec![field("csrf", &csrf)];
    for (i, id) in questions.iter().enumerate() {
        let n = i + 1;
        form.push((format!("question_{n}"), id.clone()));
        form.push((
            format!("answer_{n}"),
            format!("souvenir {n} {}", random_b64(6)?),
        ));
    }
    post("/questions", form, "/").await
}
