use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use aftercare::config::{Config, DatabaseUrl};
use aftercare::metrics::PushOutcomes;
use aftercare::startup::{open_database, Application, Background};

#[derive(Parser)]
#[command(
    name = "aftercare",
    version,
    about = "Recovery tracking after microneedling"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (applies migrations first).
    Serve,
    /// Run only the reminder dispatcher and background jobs (no HTTP).
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Seed a demo clinic, a clinician and three patients, and print how to sign in.
    Demo,
    /// Print a new VAPID key pair (for AFTERCARE_VAPID_PRIVATE_KEY).
    VapidKeys,
    /// Copy the SQLite database to PATH while it serves (consistent, then
    /// verified). Holds the JWT and VAPID keys: keep it as safe as the
    /// database. For PostgreSQL use pg_dump.
    Backup { path: std::path::PathBuf },
    /// Replace a key kept in the database, then restart every process:
    /// `jwt` ends every sign-in (everyone signs in again); `vapid` voids
    /// every Web Push subscription (apps and browsers subscribe again).
    RotateKeys {
        #[arg(value_enum)]
        key: KeyKind,
    },
    /// Manage clinics.
    Clinic {
        #[command(subcommand)]
        command: ClinicCommand,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum KeyKind {
    Jwt,
    Vapid,
}

#[derive(Subcommand)]
enum ClinicCommand {
    /// Create a clinic and its admin; prints the admin's initial password once.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
        #[arg(long)]
        admin_name: Option<String>,
        /// Read the admin's password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

fn main() -> ExitCode {
    return_freed_large_blocks_to_os();
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    aftercare::telemetry::init(config.log_json);
    let result = match cli.command {
        Command::Serve => serve(config),
        Command::Worker => worker(config),
        Command::Demo => demo(config),
        Command::VapidKeys => {
            let keys = aftercare::push::vapid::VapidKeys::generate();
            println!("AFTERCARE_VAPID_PRIVATE_KEY={}", keys.to_base64());
            println!("public key (applicationServerKey): {}", keys.public_key());
            Ok(())
        }
        Command::Backup { path } => backup(&config, &path),
        Command::RotateKeys { key } => rotate_keys(&config, key),
        Command::Migrate => open_database(&config)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Command::Clinic {
            command:
                ClinicCommand::Create {
                    name,
                    admin_email,
                    admin_name,
                    password_stdin,
                },
        } => create_clinic(
            config,
            &name,
            &admin_email,
            admin_name.as_deref(),
            password_stdin,
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config.clone()).map_err(|e| e.to_string())?;
        tracing::info!(
            bind = %config.bind,
            port = app.port(),
            database = config.database.backend_name(),
            "aftercare listening"
        );
        tracing::info!(
            url = %console_url(&config, app.port()),
            "clinician console (sign in with a staff account)"
        );
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

/// Where a browser on this machine reaches the console.
fn console_url(config: &Config, port: u16) -> String {
    let host = config
        .bind
        .rsplit_once(':')
        .map_or(config.bind.as_str(), |(host, _)| host);
    // Listening on every address: this machine reaches it on loopback.
    let host = match host {
        "" | "0.0.0.0" => "127.0.0.1",
        "[::]" => "[::1]",
        h => h,
    };
    format!("http://{host}:{port}/console/")
}

fn bind_port(config: &Config) -> u16 {
    config
        .bind
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(8080)
}

fn demo(config: Config) -> Result<(), String> {
    let db = open_database(&config).map_err(|e| e.to_string())?;
    let seeded = actix_web::rt::System::new()
        .block_on(async move { aftercare::cli::seed_demo(&db).await })?;
    let url = console_url(&config, bind_port(&config));
    println!(
        "Seeded {} with patients: {}.",
        seeded.clinic,
        seeded.patients.join(", ")
    );
    println!();
    println!("Start the server with the same environment (DATABASE_URL):  aftercare serve");
    println!("Then open {url} and sign in as");
    println!(
        "  clinician: {}  password: {}",
        seeded.clinician_email, seeded.clinician_password
    );
    println!(
        "  admin:     {}  password: {}",
        seeded.admin_email, seeded.admin_password
    );
    println!("(passwords are shown only now)");
    Ok(())
}

fn worker(config: Config) -> Result<(), String> {
    let db = open_database(&config).map_err(|e| e.to_string())?;
    // A worker serves no metrics: its push outcome counts go nowhere.
    let background =
        Background::build(db, &config, PushOutcomes::default()).map_err(|e| e.to_string())?;
    tracing::info!(
        database = config.database.backend_name(),
        "aftercare worker running"
    );
    actix_web::rt::System::new().block_on(async move {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let run = tokio::spawn(background.run(stopped));
        shutdown_signal().await;
        tracing::info!("stopping: finishing the dispatcher pass in progress");
        let _ = stop.send(true);
        let _ = run.await;
    });
    Ok(())
}

/// Makes glibc give large blocks (argon2's 19 MiB per password hash) back
/// to the OS when they are freed. By default glibc raises its mmap
/// threshold after the first such block is freed, so later ones come from
/// the per-thread heaps and stay resident: every blocking thread that
/// hashed a password kept about 19 MiB, 250-340 MiB in all after a burst of
/// sign-ins (bench/memory.sh), instead of about 30 MiB with a fixed
/// threshold. Call before any other thread starts.
fn return_freed_large_blocks_to_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; no other thread runs yet.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn backup(config: &Config, path: &std::path::Path) -> Result<(), String> {
    let source = match &config.database {
        DatabaseUrl::Sqlite(source) => source,
        DatabaseUrl::Postgres(_) => {
            return Err(
                "backup copies SQLite databases; for PostgreSQL use pg_dump \
                        (pg_dump --format=custom \"$DATABASE_URL\" > aftercare.dump; see README)"
                    .into(),
            )
        }
    };
    let made = aftercare::db::backup_sqlite(source, path)?;
    println!(
        "backup: {} ({} bytes, migration {}), checked; it holds the JWT and VAPID keys",
        path.display(),
        made.bytes,
        made.migration
    );
    Ok(())
}

fn rotate_keys(config: &Config, key: KeyKind) -> Result<(), String> {
    use base64::Engine;
    let db = open_database(config).map_err(|e| e.to_string())?;
    let sealing = aftercare::startup::secrets_key(config).map_err(|e| e.to_string())?;
    let rotated = match key {
        KeyKind::Jwt => {
            if config.jwt_secret.is_some() {
                return Err(
                    "AFTERCARE_JWT_SECRET is set: the key comes from the environment; \
                            change it there and restart every process"
                        .into(),
                );
            }
            let secret =
                base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
            aftercare::app::keys::rotate_jwt(&db, &sealing, secret)
        }
        KeyKind::Vapid => {
            if config.vapid_private_key.is_some() {
                return Err(
                    "AFTERCARE_VAPID_PRIVATE_KEY is set: the key comes from the environment; \
                     change it there and restart every process"
                        .into(),
                );
            }
            let keys = aftercare::push::vapid::VapidKeys::generate();
            println!(
                "new VAPID public key (applicationServerKey): {}",
                keys.public_key()
            );
            aftercare::app::keys::rotate_vapid(&db, &sealing, keys.to_base64())
        }
    }
    .map_err(|e| e.to_string())?;
    println!(
        "rotated; ended {} refresh tokens, {} console sessions, {} push subscriptions",
        rotated.refresh_tokens, rotated.console_sessions, rotated.push_subscriptions
    );
    println!("restart every aftercare process now: running ones still hold the old key");
    Ok(())
}

fn create_clinic(
    config: Config,
    name: &str,
    email: &str,
    admin_name: Option<&str>,
    password_stdin: bool,
) -> Result<(), String> {
    let password = if password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| e.to_string())?;
        Some(s.trim_end_matches(['\r', '\n']).to_string())
    } else {
        None
    };
    let db = open_database(&config).map_err(|e| e.to_string())?;
    let created = aftercare::cli::create_clinic(&db, name, email, admin_name, password)?;
    println!("clinic_id: {}", created.clinic_id);
    println!("clinic_code: {}", created.clinic_code);
    println!("admin_id: {}", created.admin_id);
    println!("admin_email: {}", email.trim().to_lowercase());
    if let Some(p) = created.generated_password {
        println!("admin_password: {p}");
        println!("(shown once; keep it safe)");
    }
    Ok(())
}
