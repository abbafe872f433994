//! The real `idp` binary, as an operator runs it: `migrate`, `keys`, `clients`, `users`, and
//! hostile input, each on a fresh Postgres schema. Every refusal exits non-zero with a message
//! naming the problem, and nothing ever panics.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failure is a failed test.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use integration_tests::{PASSWORD, database_url, random_b64, redis_url, repo_root};

/// The `idp` binary: `IDP_BIN` (scripts/test builds it before the tests), else
/// `<target>/debug/idp`, next to the test binary's `deps/` folder, built when missing.
fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(built) = std::env::var_os("IDP_BIN").map(PathBuf::from) {
            assert!(built.exists(), "IDP_BIN names no file: {}", built.display());
            return built;
        }
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
        let binary = profile_dir.join("idp");
        if !binary.exists() {
            let target_dir = profile_dir.parent().unwrap();
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "-p", "idp", "--bin", "idp"])
                .env("CARGO_TARGET_DIR", target_dir)
                .current_dir(repo_root())
                .status()
                .expect("cargo runs");
            assert!(status.success(), "`cargo build -p idp` succeeds");
        }
        assert!(binary.exists(), "the idp binary at {}", binary.display());
        binary
    })
}

/// One run of the binary.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// The idp command line against its own schema, Redis prefix, secrets and scratch folder.
#[derive(Debug)]
struct Idp {
    env: Vec<(String, String)>,
    dir: PathBuf,
}

impl Idp {
    fn new() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("idp-cli-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        let env = vec![
            (
                "IDP_CONFIG_DIR",
                repo_root().join("config").display().to_string(),
            ),
            ("IDP_ENV", "test".to_owned()),
            ("IDP__DATABASE__URL", database_url()),
            ("IDP__DATABASE__SCHEMA", format!("cli_{id}")),
            ("IDP__REDIS__URL", redis_url()),
            ("IDP__REDIS__KEY_PREFIX", format!("cli:{id}:")),
            ("IDP__KEYS__ENCRYPTION_KEY", random_b64()),
            ("IDP__TOKENS__CLIENT_SECRET_KEY", random_b64()),
            ("IDP__SESSION__CSRF_KEY", random_b64()),
            ("IDP__TELEMETRY__FILTER", "error".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        Idp { env, dir }
    }

    /// A fresh schema with the migrations applied.
    fn migrated() -> Self {
        let idp = Self::new();
        let run = idp.ok(&["migrate"]);
        assert!(run.stdout.contains("migrations applied"), "{run:?}");
        idp
    }

    /// A path in the scratch folder.
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn run_with(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut command = Command::new(binary());
        command.args(args).current_dir(&self.dir);
        for (name, _) in std::env::vars() {
            if name.starts_with("IDP") {
                command.env_remove(name);
            }
        }
        command.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        command.envs(extra.iter().copied());
        let output = command.output().expect("the idp binary runs");
        let run = Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(
            !run.stderr.contains("panicked") && !run.stdout.contains("panicked"),
            "`idp {}` never panics: {run:?}",
            args.join(" ")
        );
        run
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    /// Runs and expects success.
    fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(
            run.code,
            Some(0),
            "`idp {}` succeeds: {run:?}",
            args.join(" ")
        );
        run
    }

    /// Runs and expects a failure whose message contains `needle`.
    fn fails(&self, args: &[&str], needle: &str) -> Run {
        self.fails_with(args, &[], needle)
    }

    fn fails_with(&self, args: &[&str], extra: &[(&str, &str)], needle: &str) -> Run {
        let run = self.run_with(args, extra);
        assert!(
            matches!(run.code, Some(c) if c != 0),
            "`idp {}` exits non-zero: {run:?}",
            args.join(" ")
        );
        assert!(
            run.stderr.contains(needle),
            "`idp {}` says « {needle} » on stderr: {run:?}",
            args.join(" ")
        );
        run
    }

    fn password_file(&self) -> PathBuf {
        let path = self.path("password.txt");
        std::fs::write(&path, format!("{PASSWORD}\n")).unwrap();
        path
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The secret in a secret file: one line, 43 base64url characters (256 bits).
fn read_secret(path: &Path) -> String {
    let content = std::fs::read_to_string(path).unwrap();
    let secret = content.trim_end_matches('\n');
    assert_eq!(secret.len(), 43, "a 43-character secret: {content:?}");
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "base64url: {secret}"
    );
    secret.to_owned()
}

/// `idp clients add` for the confidential client `portal`, its secret written to `secret_file`.
fn add_portal(secret_file: &Path) -> [&str; 12] {
    [
        "clients",
        "add",
        "--id",
        "portal",
        "--name",
        "Portail",
        "--redirect-uri",
        "https://rp.example/cb",
        "--home-uri",
        "https://rp.example/",
        "--secret-file",
        secret_file.to_str().unwrap(),
    ]
}

/// `idp users add` for `username` (given name A, family name B), the password read from
/// `password_file`.
fn add_user<'a>(username: &'a str, password_file: &'a str) -> [&'a str; 10] {
    [
        "users",
        "add",
        "--username",
        username,
        "--password-file",
        password_file,
        "--given-name",
        "A",
        "--family-name",
        "B",
    ]
}

/// A refusal of hostile input: a non-zero exit and a message that names the problem.
#[track_caller]
fn assert_refused(run: &Run, needle: &str, why: &str) {
    assert!(
        matches!(run.code, Some(c) if c != 0),
        "{why}: refused: {run:?}"
    );
    assert!(
        run.stderr.contains(needle),
        "{why}: the message says « {needle} »: {run:?}"
    );
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// `(kid, alg, state)` of every row of `idp keys list`.
fn key_rows(stdout: &str) -> Vec<(String, String, String)> {
    let mut lines = stdout
        .lines()
        .skip_while(|l| !l.starts_with("kid\talg\tstate"));
    assert!(lines.next().is_some(), "the header line: {stdout}");
    lines
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert!(cols.len() >= 3, "a key row: {l}");
            (cols[0].to_owned(), cols[1].to_owned(), cols[2].to_owned())
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

#[test]
fn help_lists_every_command() {
    let idp = Idp::new();
    let run = idp.ok(&["--help"]);
    for command in [
        "serve",
        "migrate",
        "clients",
        "users",
        "delegations",
        "keys",
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.trim_start().starts_with(command)),
            "`{command}` in the help:\n{}",
            run.stdout
        );
    }
}

#[test]
fn migrate_succeeds_and_can_run_again() {
    let idp = Idp::migrated();
    let again = idp.ok(&["migrate"]);
    assert!(
        again.stdout.contains("migrations applied"),
        "migrate is idempotent"
    );
}

#[test]
fn keys_rotate_adds_a_key_per_algorithm_and_a_second_rotation_retires_the_first() {
    let idp = Idp::migrated();
    let empty = idp.ok(&["keys", "list"]);
    assert!(
        key_rows(&empty.stdout).is_empty(),
        "no key before the first rotation: {}",
        empty.stdout
    );

    let first = idp.ok(&["keys", "rotate"]);
    let first_rows = key_rows(&first.stdout);
    let mut algs: Vec<&str> = first_rows.iter().map(|(_, a, _)| a.as_str()).collect();
    algs.sort_unstable();
    assert_eq!(algs, ["ES256", "EdDSA", "RS256"], "{}", first.stdout);
    assert!(
        first_rows.iter().all(|(_, _, s)| s == "active"),
        "with pre_publication_secs = 0 the new keys sign at once: {}",
        first.stdout
    );
    for (kid, alg, _) in &first_rows {
        assert!(
            first.stdout.contains(&format!("added {alg} {kid}")),
            "the rotation names what it added: {}",
            first.stdout
        );
    }
    let listed = key_rows(&idp.ok(&["keys", "list"]).stdout);
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|r| first_rows.contains(r)));

    idp.ok(&["keys", "rotate"]);
    let after = key_rows(&idp.ok(&["keys", "list"]).stdout);
    assert_eq!(after.len(), 6, "both generations are listed: {after:?}");
    for (kid, alg, _) in &first_rows {
        assert!(
            after.contains(&(kid.clone(), alg.clone(), "retiring".to_owned())),
            "the first {alg} key is retiring: {after:?}"
        );
    }
    for alg in ["ES256", "EdDSA", "RS256"] {
        let active: Vec<_> = after
            .iter()
            .filter(|(_, a, s)| a == alg && s == "active")
            .collect();
        assert_eq!(active.len(), 1, "one active {alg} key: {after:?}");
        assert!(
            !first_rows.iter().any(|(k, _, _)| *k == active[0].0),
            "the new {alg} key is the active one"
        );
    }
}

#[test]
fn a_client_is_added_listed_shown_given_a_new_secret_and_removed() {
    let idp = Idp::migrated();
    let secret_file = idp.path("portal.secret");
    let added = idp.ok(&add_portal(&secret_file));
    let secret = read_secret(&secret_file);
    assert_eq!(
        format!("{:o}", mode(&secret_file)),
        "600",
        "the secret file is private"
    );
    assert!(
        !added.stdout.contains(&secret) && !added.stderr.contains(&secret),
        "the secret is shown nowhere else: {added:?}"
    );
    assert!(added.stdout.contains("portal"), "{added:?}");

    let list = idp.ok(&["clients", "list"]);
    let row = list
        .stdout
        .lines()
        .find(|l| l.starts_with("portal\t"))
        .unwrap_or_else(|| panic!("portal is listed: {}", list.stdout));
    assert!(
        row.contains("Portail") && row.contains("confidential"),
        "{row}"
    );
    assert!(!list.stdout.contains(&secret));

    let show = idp.ok(&["clients", "show", "portal"]);
    for line in [
        "id: portal",
        "name: Portail",
        "type: confidential",
        "redirect_uris: https://rp.example/cb",
        "id_token_alg: RS256",
        "home_uri: https://rp.example/",
    ] {
        assert!(
            show.stdout.lines().any(|l| l == line),
            "`{line}` in {}",
            show.stdout
        );
    }
    assert!(
        !show.stdout.contains(&secret),
        "show never shows the secret"
    );

    let second_file = idp.path("portal-2.secret");
    let rotated = idp.ok(&[
        "clients",
        "rotate-secret",
        "portal",
        "--secret-file",
        second_file.to_str().unwrap(),
    ]);
    let second = read_secret(&second_file);
    assert_ne!(second, secret, "a new secret");
    assert_eq!(format!("{:o}", mode(&second_file)), "600");
    assert!(!rotated.stdout.contains(&second));

    let removed = idp.ok(&["clients", "remove", "portal"]);
    assert!(removed.stdout.contains("portal"), "{removed:?}");
    idp.fails(&["clients", "show", "portal"], "no client `portal`");
    idp.fails(&["clients", "remove", "portal"], "no client `portal`");
    let list = idp.ok(&["clients", "list"]);
    assert!(!list.stdout.contains("portal"), "{}", list.stdout);
}

#[test]
fn a_public_client_gets_no_secret() {
    let idp = Idp::migrated();
    let run = idp.ok(&[
        "clients",
        "add",
        "--id",
        "spa",
        "--name",
        "Application",
        "--public",
        "--redirect-uri",
        "http://127.0.0.1:8080/cb",
    ]);
    assert!(!run.stdout.contains("client_secret"), "{run:?}");
    let show = idp.ok(&["clients", "show", "spa"]);
    assert!(show.stdout.contains("type: public"), "{}", show.stdout);
    idp.fails(
        &["clients", "rotate-secret", "spa"],
        "no confidential client `spa`",
    );
}

#[test]
fn adding_a_client_twice_is_refused_and_keeps_the_first_secret_file() {
    let idp = Idp::migrated();
    let file = idp.path("portal.secret");
    let args = add_portal(&file);
    idp.ok(&args);
    let first = read_secret(&file);
    idp.fails(&args, "already exists");
    assert_eq!(
        read_secret(&file),
        first,
        "the refused registration does not overwrite the secret"
    );
}

#[test]
fn rotating_a_secret_into_an_existing_world_readable_file_leaves_it_private() {
    let idp = Idp::migrated();
    idp.ok(&add_portal(&idp.path("first.secret")));
    let file = idp.path("shared.secret");
    std::fs::write(&file, "old\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = idp.run(&[
        "clients",
        "rotate-secret",
        "portal",
        "--secret-file",
        file.to_str().unwrap(),
    ]);
    if run.code == Some(0) {
        read_secret(&file);
        assert_eq!(
            format!("{:o}", mode(&file)),
            "600",
            "a secret is never left in a file others can read (was 0644 before)"
        );
    } else {
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "old\n",
            "a refusal writes nothing"
        );
    }
}

#[test]
fn a_secret_file_that_cannot_be_written_leaves_no_half_registered_client() {
    let idp = Idp::migrated();
    let blocker = idp.path("not-a-folder");
    std::fs::write(&blocker, "a file").unwrap();
    let impossible = blocker.join("portal.secret");
    let run = idp.run(&add_portal(&impossible));
    assert_ne!(
        run.code,
        Some(0),
        "the secret could not be handed over: {run:?}"
    );
    let show = idp.run(&["clients", "show", "portal"]);
    assert_ne!(
        show.code,
        Some(0),
        "a client whose secret nobody received is not left registered (the operator could \
         neither use it nor add it again): {show:?}"
    );
}

#[test]
fn a_user_is_added_once_and_a_second_time_is_refused_as_taken() {
    let idp = Idp::migrated();
    let password = idp.password_file();
    let args = add_user("IP55555", password.to_str().unwrap());
    let added = idp.ok(&args);
    assert!(added.stdout.contains("IP55555"), "{added:?}");
    assert!(
        !added.stdout.contains(PASSWORD) && !added.stderr.contains(PASSWORD),
        "the password is never printed"
    );
    idp.fails(&args, "already taken");
    let mut lower = args;
    lower[3] = "ip55555";
    idp.fails(&lower, "already taken");
}

#[test]
fn the_help_desk_issues_a_temporary_password_shown_once() {
    let idp = Idp::migrated();
    let password = idp.password_file();
    idp.ok(&add_user("IP55556", password.to_str().unwrap()));
    let issued = idp.ok(&["users", "temp-password", "ip55556"]);
    let temporary = issued
        .stdout
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned();
    assert_eq!(
        temporary.len(),
        24,
        "a generated password on the last line: {issued:?}"
    );
    assert_eq!(temporary.matches('-').count(), 4, "{temporary}");
    assert!(issued.stdout.contains("single use"), "{issued:?}");
    let again = idp.ok(&["users", "temp-password", "IP55556"]);
    assert_ne!(
        again.stdout.lines().last(),
        Some(temporary.as_str()),
        "each one is new"
    );
    idp.fails(&["users", "temp-password", "IP00000"], "no account");
    idp.fails(&["users", "temp-password", ""], "malformed");
}

// ---------------------------------------------------------------------------------------------
// Hostile input
// ---------------------------------------------------------------------------------------------

#[test]
fn hostile_client_registrations_are_refused_with_the_problem_named() {
    let idp = Idp::migrated();
    let base = |id: &'static str, uri: &'static str| -> Vec<&'static str> {
        vec![
            "clients",
            "add",
            "--id",
            id,
            "--name",
            "Portail",
            "--redirect-uri",
            uri,
        ]
    };
    // `portal` with a valid redirect URI and more.
    let portal =
        |extra: &[&'static str]| [base("portal", "https://rp.example/cb"), extra.to_vec()].concat();
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            base("portal", "http://rp.example/cb"),
            "must use https",
            "http on a non-loopback host",
        ),
        (
            base("portal", "https://rp.example/cb#frag"),
            "no fragment",
            "a fragment",
        ),
        (
            base("portal", "/cb"),
            "not an absolute URL",
            "a relative URI",
        ),
        (
            base("por tal", "https://rp.example/cb"),
            "--id",
            "a space in the id",
        ),
        (base("", "https://rp.example/cb"), "--id", "an empty id"),
        (portal(&["--id-token-alg", "none"]), "RS256", "alg none"),
        (
            portal(&["--grant", "password"]),
            "--grant password",
            "the password grant",
        ),
        (
            portal(&["--grant", "implicit"]),
            "--grant implicit",
            "the implicit grant",
        ),
        (
            portal(&["--public", "--grant", "client_credentials"]),
            "public client cannot use client_credentials",
            "a public client with client_credentials",
        ),
        (
            vec!["clients", "add", "--id", "portal", "--name", "Portail"],
            "--redirect-uri is required",
            "the code flow without a redirect URI",
        ),
        (
            portal(&["--post-logout-redirect-uri", "http://evil.example/"]),
            "must use https",
            "an http post-logout URI",
        ),
        (
            portal(&["--backchannel-logout-uri", "https://rp.example/bcl#x"]),
            "no fragment",
            "a back-channel URI with a fragment",
        ),
        (
            portal(&["--home-uri", "javascript:alert(1)"]),
            "must use https",
            "a script as the home URL the home page links to",
        ),
        (
            portal(&["--home-uri", "http://rp.example/"]),
            "must use https",
            "an http home URL",
        ),
        (
            portal(&["--scope", "open\"id"]),
            "--scope",
            "a scope with a quote",
        ),
        (
            portal(&["--public", "--secret-file", "x"]),
            "cannot be used with",
            "a secret file for a public client",
        ),
    ];
    for (args, needle, why) in cases {
        assert_refused(&idp.run(&args), needle, why);
    }
    let list = idp.ok(&["clients", "list"]);
    assert!(
        list.stdout.trim().is_empty(),
        "nothing was registered: {}",
        list.stdout
    );
}

#[test]
fn hostile_user_additions_are_refused_with_the_problem_named() {
    let idp = Idp::migrated();
    let password = idp.password_file();
    let password = password.to_str().unwrap();
    let missing = idp.path("missing.txt");
    let missing = missing.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            add_user("XX1", password).to_vec(),
            "--username must look like IP12345",
            "the wrong prefix",
        ),
        (
            add_user("IP", password).to_vec(),
            "--username must look like IP12345",
            "a prefix alone",
        ),
        (
            add_user("IP12 345", password).to_vec(),
            "--username must look like IP12345",
            "a space",
        ),
        (
            add_user("CE12345", password).to_vec(),
            "--username must look like IP12345",
            "a staff name for a professional",
        ),
        (
            add_user("IP55556", missing).to_vec(),
            "cannot read --password-file",
            "a missing password file",
        ),
        (
            [&add_user("IP55558", password)[..], &["--type", "admin"]].concat(),
            "--type",
            "an unknown account type",
        ),
    ];
    for (args, needle, why) in cases {
        assert_refused(&idp.run(&args), needle, why);
    }
    let run = idp.run(&add_user("IP55556", missing));
    assert!(
        run.stderr.contains("missing.txt"),
        "the message names the file: {run:?}"
    );
}

#[test]
fn an_unknown_configuration_key_in_the_environment_is_refused_and_named() {
    let idp = Idp::migrated();
    let run = idp.fails_with(&["keys", "list"], &[("IDP__SERVER__NOPE", "1")], "nope");
    assert!(
        run.stderr.to_lowercase().contains("server.nope"),
        "the full key is named: {run:?}"
    );
    let run = idp.fails_with(&["keys", "list"], &[("IDP__NOPE__X", "1")], "nope");
    assert!(run.stdout.is_empty(), "nothing ran: {run:?}");
}

#[test]
fn a_bad_configuration_value_is_refused_and_its_key_named() {
    let idp = Idp::migrated();
    let run = idp.fails_with(
        &["keys", "list"],
        &[("IDP__SERVER__BIND", "notanaddress")],
        "",
    );
    assert!(
        run.stderr.to_lowercase().contains("server.bind"),
        "the message names server.bind: {run:?}"
    );
    let run = idp.fails_with(
        &["keys", "list"],
        &[("IDP__TOKENS__CODE_TTL_SECS", "3600")],
        "tokens.code_ttl_secs",
    );
    assert!(run.stdout.is_empty(), "{run:?}");
    idp.fails_with(
        &["keys", "list"],
        &[("IDP__DATABASE__SCHEMA", "public; DROP TABLE x")],
        "database.schema",
    );
    idp.fails_with(
        &["keys", "rotate"],
        &[("IDP__KEYS__ENCRYPTION_KEY", "dG9vIHNob3J0")],
        "keys.encryption_key",
    );
}

#[test]
fn a_missing_configuration_folder_is_named_in_the_error() {
    let idp = Idp::new();
    let missing = idp.path("no-such-config");
    let run = idp.fails_with(
        &["migrate"],
        &[("IDP_CONFIG_DIR", missing.to_str().unwrap())],
        "",
    );
    assert!(
        run.stderr.contains("no-such-config"),
        "the message names the folder (or its default.toml) that was not found, rather than a \
         field missing from the environment: {run:?}"
    );
}

#[test]
fn logs_written_to_a_pipe_carry_no_colour_codes() {
    let idp = Idp::new();
    let run = idp.run_with(&["migrate"], &[("IDP__TELEMETRY__FILTER", "info")]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let logs = format!("{}{}", run.stdout, run.stderr);
    assert!(logs.contains("INFO"), "info lines were logged: {logs}");
    assert!(
        !logs.contains('\u{1b}'),
        "no ANSI escape in a pipe: {logs:?}"
    );
}

#[test]
fn dev_setup_refuses_to_seed_demo_accounts_outside_development() {
    let idp = Idp::migrated();
    for env in ["production", "test"] {
        let run = idp.fails_with(&["dev-setup"], &[("IDP_ENV", env)], "only with IDP_ENV=dev");
        assert!(run.stderr.contains(&format!("this is `{env}`")), "{run:?}");
        assert!(run.stderr.contains("Nothing was changed"), "{run:?}");
    }
    // No demo account was written.
    idp.fails(&["users", "unlock", "IP12345"], "no account `IP12345`");
}

#[test]
fn an_unknown_environment_name_is_refused_rather_than_silently_using_defaults() {
    let idp = Idp::new();
    let run = idp.run_with(&["migrate"], &[("IDP_ENV", "prodution")]);
    assert!(
        matches!(run.code, Some(c) if c != 0) && run.stderr.contains("prodution"),
        "a misspelt --env is refused and named (config/prodution.toml does not exist), not run \
         with default.toml alone: {run:?}"
    );
}

#[test]
fn an_empty_or_five_character_password_is_refused_for_a_new_account() {
    let idp = Idp::migrated();
    for (content, why) in [
        ("\n", "an empty password"),
        ("short\n", "a five-character password"),
    ] {
        let file = idp.path("weak.txt");
        std::fs::write(&file, content).unwrap();
        let run = idp.run(&add_user("IP55557", file.to_str().unwrap()));
        assert!(
            matches!(run.code, Some(c) if c != 0) && run.stderr.contains("password"),
            "{why} is refused with a message about the password (ASVS 6.2.1: at least 8 \
             characters): {run:?}"
        );
    }
}

/// `idp users add` for a staff account `username`.
fn add_staff<'a>(username: &'a str, password_file: &'a str) -> Vec<&'a str> {
    let mut args = add_user(username, password_file).to_vec();
    args.extend(["--type", "staff"]);
    args
}

#[test]
fn roles_are_granted_and_revoked_once_each_and_unknown_roles_or_accounts_are_refused() {
    let idp = Idp::migrated();
    let password = idp.password_file();
    idp.ok(&add_staff("CE10001", password.to_str().unwrap()));
    idp.ok(&add_user("IP10002", password.to_str().unwrap()));

    let granted = idp.ok(&["users", "grant", "CE10001", "messaging-agent"]);
    // The agency roles of issue 10, to staff only.
    for role in ["helpdesk-agent", "security-officer", "administrator"] {
        let granted = idp.ok(&["users", "grant", "CE10001", role]);
        assert!(
            granted.stdout.contains(&format!("now holds {role}")),
            "{granted:?}"
        );
        let refused = idp.run(&["users", "grant", "IP10002", role]);
        assert_refused(
            &refused,
            "professional's account",
            "a professional holds no agency role",
        );
    }
    assert!(
        granted.stdout.contains("now holds messaging-agent"),
        "{granted:?}"
    );
    let again = idp.ok(&["users", "grant", "ce10001", "messaging-agent"]);
    assert!(
        again.stdout.contains("already holds"),
        "granting twice changes nothing: {again:?}"
    );

    let refused = idp.run(&["users", "grant", "CE10001", "admin"]);
    assert_refused(&refused, "unknown role `admin`", "a role no service knows");
    assert!(
        refused.stderr.contains("messaging-supervisor"),
        "the roles are listed: {refused:?}"
    );
    let refused = idp.run(&["users", "grant", "CE99999", "messaging-agent"]);
    assert_refused(&refused, "no account `CE99999`", "an unknown account");
    let refused = idp.run(&["users", "grant", "CE1\u{7}0001", "messaging-agent"]);
    assert_refused(&refused, "is not a username", "a control character");

    let revoked = idp.ok(&["users", "revoke", "CE10001", "messaging-agent"]);
    assert!(revoked.stdout.contains("no longer holds"), "{revoked:?}");
    let again = idp.ok(&["users", "revoke", "CE10001", "messaging-agent"]);
    assert!(again.stdout.contains("did not hold"), "{again:?}");
}

#[test]
fn delegations_are_granted_listed_and_revoked_and_hostile_ones_are_refused() {
    let idp = Idp::migrated();
    let password = idp.password_file();
    let password = password.to_str().unwrap();
    idp.ok(&add_staff("CE20002", password));
    idp.ok(&add_user("IP30003", password));
    idp.ok(&add_user("IP40004", password));
    idp.ok(&add_portal(&idp.path("portal.secret")));

    let grant = [
        "delegations",
        "grant",
        "--staff",
        "CE20002",
        "--for",
        "IP30003",
    ];
    let granted = idp.ok(&grant);
    assert!(granted.stdout.contains("every service"), "{granted:?}");
    assert!(
        idp.ok(&grant).stdout.contains("already granted"),
        "granting twice changes nothing"
    );
    idp.ok(&[&grant[..], &["--service", "portal"]].concat());
    let listed = idp.ok(&["delegations", "list"]);
    let rows: Vec<&str> = listed.stdout.lines().collect();
    assert_eq!(rows.len(), 2, "two active delegations: {listed:?}");
    assert!(
        rows.iter()
            .all(|r| r.starts_with("CE20002\tIP30003\t") && r.ends_with("active")),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|r| r.contains("\tportal\t")) && rows.iter().any(|r| r.contains("\t*\t")),
        "{rows:?}"
    );

    for (args, needle, why) in [
        (
            vec!["--staff", "IP40004", "--for", "IP30003"],
            "not a staff account",
            "a professional as staff",
        ),
        (
            vec!["--staff", "CE20002", "--for", "CE20002"],
            "not a professional",
            "staff acting for staff",
        ),
        (
            vec!["--staff", "CE20002", "--for", "IP99999"],
            "no account `IP99999`",
            "an unknown professional",
        ),
        (
            vec![
                "--staff",
                "CE20002",
                "--for",
                "IP40004",
                "--service",
                "nope",
            ],
            "no service `nope`",
            "an unknown service",
        ),
        (
            vec!["--staff", "CE20002", "--for", "IP40004", "--service", ""],
            "--service is empty",
            "an empty service",
        ),
    ] {
        let run = idp.run(&[&["delegations", "grant"][..], &args].concat());
        assert_refused(&run, needle, why);
    }

    let revoke = [
        "delegations",
        "revoke",
        "--staff",
        "CE20002",
        "--for",
        "IP30003",
    ];
    idp.ok(&revoke);
    let refused = idp.run(&revoke);
    assert_refused(&refused, "no active delegation", "revoking twice");
    let active = idp.ok(&["delegations", "list", "--account", "IP30003"]);
    assert_eq!(
        active.stdout.lines().count(),
        1,
        "the one for the portal is left: {active:?}"
    );
    let all = idp.ok(&["delegations", "list", "--account", "CE20002", "--all"]);
    assert!(
        all.stdout
            .lines()
            .any(|l| l.contains("\t*\t") && l.contains("revoked ")),
        "{all:?}"
    );
    let none = idp.ok(&["delegations", "list", "--account", "IP40004"]);
    assert!(none.stdout.trim().is_empty(), "{none:?}");
}

const REGISTER_HEADER: &str =
    "numero,prenom,nom,profession,adresse,ville,province,code_postal,courriel\n";

#[test]
fn the_register_imports_from_csv_whole_or_not_at_all_and_each_professional_gets_a_nip_and_a_letter()
{
    let idp = Idp::migrated();
    let good = idp.path("register.csv");
    std::fs::write(
        &good,
        format!(
            "{REGISTER_HEADER}12345,Marie,Tremblay,medecin,\"12, rue Principale\",Québec,QC,G1A 1A1,marie@example.org\n\
             23456,Luc,=Bouchard,pharmacien,3 av. des Pins,Laval,QC,H7N 2B4,\n"
        ),
    )
    .unwrap();
    // A file with bad rows: each named by its line, nothing imported.
    let bad = idp.path("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "{REGISTER_HEADER}12345,Marie,Tremblay,medecin,1 rue A,Québec,QC,G1A 1A1,\n\
             12AB5,Luc,Bouchard,pharmacien,2 rue B,Laval,QC,H7N 2B4,\n\
             34567,Jean,Roy,medecin,4 rue D,Laval,QC,99999,\n"
        ),
    )
    .unwrap();
    let refused = idp.fails(
        &["professionals", "import", bad.to_str().unwrap()],
        "nothing was imported",
    );
    assert!(
        refused.stderr.contains("line 3") && refused.stderr.contains("line 4"),
        "{refused:?}"
    );
    let run = idp.ok(&["professionals", "import", good.to_str().unwrap()]);
    assert!(
        run.stdout.contains("2 added, 0 updated, 0 unchanged"),
        "the refused file wrote nothing: {run:?}"
    );
    // Imported again with a change: updated, never duplicated.
    std::fs::write(
        &good,
        format!(
            "{REGISTER_HEADER}12345,Marie,Tremblay,medecin,\"14, rue Principale\",Québec,QC,G1A 1A1,marie@example.org\n\
             23456,Luc,=Bouchard,pharmacien,3 av. des Pins,Laval,QC,H7N 2B4,\n"
        ),
    )
    .unwrap();
    let run = idp.ok(&["professionals", "import", good.to_str().unwrap()]);
    assert!(
        run.stdout.contains("0 added, 1 updated, 1 unchanged"),
        "{run:?}"
    );
    idp.fails(
        &[
            "professionals",
            "import",
            idp.path("none.csv").to_str().unwrap(),
        ],
        "cannot read",
    );

    // NIPs: unknown numbers refused, then one each with the mailing file and the letters.
    let out = idp.path("mailing-1");
    idp.fails(
        &["nip", "issue", "99999", "--out", out.to_str().unwrap()],
        "not in the register: 99999",
    );
    assert!(!out.exists(), "nothing written for a refused run");
    let run = idp.ok(&["nip", "issue", "--all-new", "--out", out.to_str().unwrap()]);
    assert!(run.stdout.contains("2 NIP(s) issued"), "{run:?}");
    let mailing = std::fs::read_to_string(out.join("nips.csv")).unwrap();
    let lines: Vec<&str> = mailing.lines().collect();
    assert_eq!(lines.len(), 3, "{mailing}");
    assert!(lines[0].starts_with("numero,prenom,nom"), "{mailing}");
    assert!(
        lines[2].contains(",'=Bouchard,"),
        "a formula is defused: {mailing}"
    );
    // The NIP is the field printed ABCDE-FGHJK from the unambiguous alphabet.
    let nip_of = |line: &str| {
        line.split(',')
            .find(|f| {
                f.len() == 11
                    && f.as_bytes()[5] == b'-'
                    && f.chars()
                        .all(|c| c == '-' || "ABCDEFGHJKMNPQRSTUVWXYZ23456789".contains(c))
            })
            .unwrap_or_else(|| panic!("a NIP in {line}"))
            .to_owned()
    };
    assert!(lines[1].starts_with("12345,"), "{mailing}");
    let first = nip_of(lines[1]);
    let letter = std::fs::read_to_string(out.join("letters/12345.html")).unwrap();
    assert!(
        letter.contains("Bonjour Marie Tremblay")
            && letter.contains(&first)
            && letter.contains("14, rue Principale")
            && letter.contains("Information et inscription"),
        "{letter}"
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&out), 0o700);
    assert_eq!(mode(&out.join("nips.csv")), 0o600);
    assert_eq!(mode(&out.join("letters/12345.html")), 0o600);

    // Nobody else awaits one; an existing folder is refused and changes nothing.
    let run = idp.ok(&[
        "nip",
        "issue",
        "--all-new",
        "--out",
        idp.path("mailing-2").to_str().unwrap(),
    ]);
    assert!(
        run.stdout.contains("no professional awaits a NIP"),
        "{run:?}"
    );
    idp.fails(
        &["nip", "issue", "12345", "--out", out.to_str().unwrap()],
        "exists",
    );
    // Issued again on request: a new NIP (the previous one is invalidated).
    let again = idp.path("mailing-3");
    idp.ok(&["nip", "issue", "12345", "--out", again.to_str().unwrap()]);
    let mailing = std::fs::read_to_string(again.join("nips.csv")).unwrap();
    let second = nip_of(mailing.lines().nth(1).unwrap());
    assert_ne!(first, second);
    idp.fails(
        &["nip", "issue", "--out", idp.path("m4").to_str().unwrap()],
        "--all-new",
    );
}
