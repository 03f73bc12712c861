//! A loopback push service for the dispatch benchmark: every POST is read
//! and answered 201 (nothing is decrypted). `GET /__count` tells how many
//! pushes arrived so far, `GET /__cpu` the CPU seconds this process used
//! (user + system), so the dispatch benchmark can show the sink's share of
//! the machine.

use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::{web, App, HttpResponse, HttpServer};

use crate::{ctx, Res};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    port: u16,
    #[arg(long, default_value_t = 1)]
    workers: usize,
}

static PUSHES: AtomicU64 = AtomicU64::new(0);

async fn push(body: web::Bytes) -> HttpResponse {
    if !body.is_empty() {
        PUSHES.fetch_add(1, Ordering::Relaxed);
    }
    HttpResponse::Created().finish()
}

/// CPU seconds (user + system) this process has used so far.
pub fn cpu_seconds() -> f64 {
    let mut u = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is valid.
    let u = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, u.as_mut_ptr());
        u.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(u.ru_utime) + secs(u.ru_stime)
}

async fn cpu() -> HttpResponse {
    HttpResponse::Ok().body(format!("{:.3}", cpu_seconds()))
}

async fn count() -> HttpResponse {
    HttpResponse::Ok().body(PUSHES.load(Ordering::Relaxed).to_string())
}

pub fn run(a: Args) -> Res<()> {
    actix_web::rt::System::new()
        .block_on(async move {
            HttpServer::new(|| {
                App::new()
                    .route("/__count", web::get().to(count))
                    .route("/__cpu", web::get().to(cpu))
                    .default_service(web::post().to(push))
            })
            .workers(a.workers)
            .backlog(4096)
            .bind(("127.0.0.1", a.port))?
            .run()
            .await
        })
        .map_err(ctx("sink"))?;
    eprintln!("sink: {} pushes", PUSHES.load(Ordering::Relaxed));
    Ok(())
}
