//! Ctrl-C and SIGTERM, counted from the moment the command starts. A run installs its stop
//! handler only after it has opened the state file and checked the input, which takes
//! seconds on a large file. A signal in that time must still stop the run cleanly rather than
//! kill the process with the default action.

use std::sync::{LazyLock, Once};

use tokio::sync::watch;

/// Signals received since [`install`].
static RECEIVED: LazyLock<watch::Sender<u32>> = LazyLock::new(|| watch::Sender::new(0));

static INSTALL: Once = Once::new();

/// Replaces the default action of Ctrl-C and SIGTERM with counting. Call it first thing in a
/// command, inside the Tokio runtime; later calls do nothing.
pub fn install() {
    INSTALL.call_once(|| {
        #[cfg(unix)]
        let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut terminate = terminate.ok();
            loop {
                #[cfg(unix)]
                let received = match terminate.as_mut() {
                    Some(terminate) => tokio::select! {
                        result = tokio::signal::ctrl_c() => result.is_ok(),
                        received = terminate.recv() => received.is_some(),
                    },
                    None => tokio::signal::ctrl_c().await.is_ok(),
                };
                #[cfg(not(unix))]
                let received = tokio::signal::ctrl_c().await.is_ok();
                if !received {
                    tracing::warn!("listening for Ctrl-C and SIGTERM failed");
                    return;
                }
                RECEIVED.send_modify(|count| *count += 1);
            }
        });
    });
}

/// Waits until at least `count` signals were received since [`install`], which returns at
/// once for signals that came before the call.
pub async fn received(count: u32) {
    let mut receiver = RECEIVED.subscribe();
    // The sender lives in a static, so the channel never closes.
    let _ = receiver.wait_for(|received| *received >= count).await;
}
