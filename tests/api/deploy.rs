//! `deploy/`: the systemd unit passes `systemd-analyze verify` without a
//! word of complaint, and the example environment and Caddy configuration
//! agree with each other and with what the server accepts.

use std::path::Path;

fn deploy(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `KEY=value` lines of the example environment file.
fn example_env() -> Vec<(String, String)> {
    deploy("aftercare.env")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').expect("KEY=value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn the_systemd_unit_verifies() {
    let unit = deploy("aftercare.service");
    for needed in [
        "EnvironmentFile=/etc/aftercare/aftercare.env",
        "ExecStart=/usr/local/bin/aftercare serve",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "StateDirectory=aftercare",
    ] {
        assert!(unit.contains(needed), "the unit lacks {needed}");
    }
    let available = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        // Said, not skipped silently: CI images without systemd parse it above only.
        eprintln!("systemd-analyze is not installed: the unit was only read, not verified");
        return;
    }
    // The installed binary's path, pointed at the one just built.
    let dir = std::env::temp_dir().join(format!("aftercare-unit-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("aftercare.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/aftercare", env!("CARGO_BIN_EXE_aftercare")),
    )
    .unwrap();
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    // Unknown or misspelt keys are only warned about: none may appear.
    let about_unit: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("aftercare.service"))
        .collect();
    assert!(about_unit.is_empty(), "{}", about_unit.join("\n"));
}

#[test]
fn the_example_environment_and_proxy_agree() {
    let env = example_env();
    let get = |k: &str| {
        env.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{k} in deploy/aftercare.env"))
    };
    // The server accepts the example as it is.
    let config = aftercare::config::Config::from_lookup(|k| {
        env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    })
    .expect("deploy/aftercare.env is a valid configuration");
    assert!(config.trust_proxy);
    let caddy = deploy("Caddyfile");
    // The proxy forwards to where the service listens, for the public host.
    assert!(caddy.contains(&format!("reverse_proxy {}", get("AFTERCARE_BIND"))));
    let public = get("AFTERCARE_PUBLIC_URL");
    let host = public.strip_prefix("https://").expect("a public https URL");
    assert!(
        caddy.contains(&format!("{host} {{")),
        "site {host} in the Caddyfile"
    );
    assert!(get("AFTERCARE_BIND").starts_with("127.0.0.1:"));
}
