//! Reading the idp's HTML pages: escaped text, form fields, tags, and `Set-Cookie` headers.

/// Undoes the HTML escaping of text and attribute values.
pub fn unescape(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&apos;", "'")
        .replace("&#34;", "\"")
        .replace("&#x22;", "\"")
        .replace("&quot;", "\"")
        .replace("&#x2d;", "-")
        .replace("&#x5f;", "_")
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// The unescaped value of the (first) input named `name`, hidden or not.
pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(unescape(&html[start..end]))
}

/// How many inputs are named `name`.
pub fn field_count(html: &str, name: &str) -> usize {
    html.matches(&format!("name=\"{name}\"")).count()
}

/// The opening tag of the element whose id is `id`.
pub fn element_tag(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("an element with {marker}:\n{html}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap() + 1;
    html[start..end].to_owned()
}

/// The `<input …>` tag whose id is `id`; fails when that element is no input.
#[track_caller]
pub fn input_tag(html: &str, id: &str) -> String {
    let tag = element_tag(html, id);
    assert!(tag.starts_with("<input"), "#{id} is an input: {tag}");
    tag
}

/// GETs `url` with `browser` and returns the body, whatever the status.
pub async fn text(browser: &reqwest::Client, url: impl reqwest::IntoUrl) -> String {
    crate::get(browser, url).await.text().await.unwrap()
}

/// The `Set-Cookie` header a response sends for the cookie `name`, attributes included.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value in a `Set-Cookie` header, without the name and the attributes.
pub fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

/// GETs a page that must be shown (200); its CSRF token (empty on a page without a form) and
/// its HTML.
pub async fn form_page(
    app: &crate::TestApp,
    browser: &reqwest::Client,
    path: &str,
) -> (String, String) {
    let page = browser.get(app.url(path)).send().await.unwrap();
    assert_eq!(page.status(), 200, "{path} is shown");
    let html = page.text().await.unwrap();
    (hidden_input(&html, "csrf").unwrap_or_default(), html)
}
