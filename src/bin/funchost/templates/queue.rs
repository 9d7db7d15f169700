//! {Name}: a queue function, run for each message on the storage queue `myqueue-items`. Its
//! function.json: a `queueTrigger` `myQueueItem`, on the storage account in the app setting
//! `AzureWebJobsStorage`. A failed run (a 5xx or an error) puts the message back; after five
//! tries it goes to `myqueue-items-poison`.

use crate::triggers::QueueMessage;
use crate::{Request, Response};

/// Logs each message's text.
pub fn run(req: &Request) -> Response {
    let message = match QueueMessage::try_from(req) {
        Ok(message) => message,
        Err(error) => return error.into(),
    };
    match message.text() {
        Ok(text) => req.log(format!("Queue message: {text}")),
        // Not UTF-8: the invocation fails with the reason.
        Err(error) => return error.into(),
    }
    Response::new(200)
}
