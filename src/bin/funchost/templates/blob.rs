//! {Name}: a blob function, run for each blob written to the container `samples-workitems`.
//! Its function.json: a `blobTrigger` `myBlob` with `"path": "samples-workitems/{name}"`, on
//! the storage account in the app setting `AzureWebJobsStorage`. The host sends the whole blob
//! in the invocation, so keep triggering blobs under a few MiB.

use crate::triggers::Blob;
use crate::{Request, Response};

/// Logs each blob's name and size.
pub fn run(req: &Request) -> Response {
    let blob = match Blob::try_from(req) {
        Ok(blob) => blob,
        Err(error) => return error.into(),
    };
    let name = blob.name.as_deref().unwrap_or("a blob");
    req.log(format!("Blob {name}: {} bytes", blob.content.len()));
    Response::new(200)
}
