//! A loopback push service for the dispatch benchmark: every POST is read
//! and answered 201 (nothing is decrypted). `GET /__count` tells how many
//! pushes arrived so far.

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

async fn count() -> HttpResponse {
    HttpResponse::Ok().body(PUSHES.load(Ordering::Relaxed).to_string())
}

pub fn run(a: Args) -> Res<()> {
    actix_web::rt::System::new()
        .block_on(async move {
            HttpServer::new(|| {
                App::new()
                    .route("/__count", web::get().to(count))
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
