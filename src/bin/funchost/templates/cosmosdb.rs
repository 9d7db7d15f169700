//! {Name}: a Cosmos DB function, run for each batch of changed documents in the container
//! `containerName` of the database `databaseName`. Its function.json: a `cosmosDBTrigger`
//! `documents` on the account in the app setting `CosmosDbConnection`, with its leases in the
//! container `leases`.

use crate::json::Value;
use crate::triggers::CosmosChanges;
use crate::{Request, Response};

/// Logs the id of each changed document.
pub fn run(req: &Request) -> Response {
    let changes = match CosmosChanges::try_from(req) {
        Ok(changes) => changes,
        Err(error) => return error.into(),
    };
    for document in &changes.documents {
        let id = document.get("id").and_then(Value::as_str);
        req.log(format!("Changed: {}", id.unwrap_or("(no id)")));
    }
    Response::new(200)
}
