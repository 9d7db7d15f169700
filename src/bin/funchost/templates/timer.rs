//! {Name}: a timer function, run every five minutes. Its function.json: a `timerTrigger`
//! `myTimer` with `"schedule": "0 */5 * * * *"` (NCRONTAB: second, minute, hour, day, month,
//! day of the week). `funchost invoke {Name}` runs it once, as by hand.

use crate::triggers::Timer;
use crate::{Request, Response};

/// Logs each run, and whether it started late.
pub fn run(req: &Request) -> Response {
    let timer = match Timer::try_from(req) {
        Ok(timer) => timer,
        // Not a timer's data: the invocation fails with the reason.
        Err(error) => return error.into(),
    };
    if timer.is_past_due {
        req.log("The timer is late.");
    }
    req.log("The timer ran.");
    Response::new(200)
}
