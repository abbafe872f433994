//! What every page shares: security headers, language, CSRF, forms, client address, assets,
//! and the one place errors become pages.

pub mod assets;
pub mod client_ip;
pub mod cookies;
pub mod csrf;
pub mod errors;
pub mod form;
pub use service_kit::headers;
pub mod lang;
pub mod page;
pub mod rate_limit;

pub use client_ip::{ClientIp, Requester};
pub use errors::PageError;
pub use form::{CheckedForm, Form, query_param};
pub use lang::RequestLang;
pub use rate_limit::with_per_ip_limit;
