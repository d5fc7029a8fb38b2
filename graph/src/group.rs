//! Group commit, shared by the backends: a write joins the queue, and whoever takes the
//! writer lock commits every write waiting (one transaction for all), telling each its own
//! result; a write committed meanwhile by an earlier writer just returns its result.

use std::future::Future;
use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// Where a queued write's result goes.
pub(crate) type Done = oneshot::Sender<Result<()>>;

/// Queues the write `make(done)` on `pending`, takes `writer`, and unless an earlier writer
/// committed it meanwhile, takes the whole queue and hands it to `commit`, which must send each
/// write's result on its `done`.
pub(crate) async fn submit<W, F, Fut>(
    pending: &Mutex<Vec<W>>,
    writer: &tokio::sync::Mutex<()>,
    make: impl FnOnce(Done) -> W,
    commit: F,
) -> Result<()>
where
    F: FnOnce(Vec<W>) -> Fut,
    Fut: Future<Output = ()>,
{
    let (done, mut result) = oneshot::channel();
    lock(pending).push(make(done));
    let _w = writer.lock().await;
    match result.try_recv() {
        Ok(r) => return r,
        Err(oneshot::error::TryRecvError::Closed) => {
            return Err(Error::Unavailable(
                "the write was interrupted before it was committed; nothing was stored".into(),
            ))
        }
        Err(oneshot::error::TryRecvError::Empty) => {}
    }
    let group = std::mem::take(&mut *lock(pending));
    commit(group).await;
    result.try_recv().unwrap_or_else(|_| {
        Err(Error::Unavailable(
            "the write was not committed; nothing was stored".into(),
        ))
    })
}

fn lock<W>(pending: &Mutex<Vec<W>>) -> std::sync::MutexGuard<'_, Vec<W>> {
    pending.lock().unwrap_or_else(|e| e.into_inner())
}
