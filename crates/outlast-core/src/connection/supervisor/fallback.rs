//! When no gateway answers: receive by long-poll and send by POST over the REST API, and keep
//! trying gateways in the background, moving back to one as soon as it answers.

use super::*;

impl Supervisor {
    /// Every gateway is down: use the REST API if it answers, until a gateway is back.
    pub(super) async fn rest_fallback(&mut self) -> Fallback {
        let token = self.tokens.current();
        let mut chosen = None;
        let mut last_error = String::from("no REST API is configured");
        for (region, api) in self.api_order() {
            self.sink.rest_attempt(api.server());
            let after = self.received();
            match api
                .events(&token, after, MAX_EVENTS_PAGE, Duration::ZERO)
                .await
            {
                Ok(page) => {
                    self.apply_page(after, page);
                    self.sink.flush();
                    chosen = Some((region, api));
                    break;
                }
                Err(err) if is_unauthorized(&err) => {
                    return Fallback::Unauthorized(err.to_string())
                }
                Err(err) => {
                    // A failed check is a failed attempt: it moves the backoff on like one.
                    self.failures += 1;
                    last_error = format!("the API does not answer either: {err}");
                    self.sink
                        .service(Service::Api.id(), ServiceState::Down, Some(err.to_string()));
                }
            }
        }
        let Some((region, api)) = chosen else {
            return Fallback::Unavailable(last_error);
        };
        self.sink.service(Service::Api.id(), ServiceState::Up, None);
        self.publish_connected(api.server(), &region, Transport::Rest, None);
        tracing::info!(api = api.server(), "no gateway answers; using the REST API");

        let mut poll: BoxFuture<Result<EventsPage, CoreError>> =
            self.poll(&api, Duration::ZERO, Duration::ZERO);
        let mut post: Option<BoxFuture<(String, Result<SendResponse, CoreError>)>> = None;
        let mut probing: Option<BoxFuture<(Candidate, Result<Link, OpenError>)>> = None;
        let mut gateway_at = Instant::now() + self.backoff();

        loop {
            if post.is_none() {
                // One at a time, the oldest unanswered first (the queue keeps them).
                if let Some(message) = self.sink.unanswered(1).into_iter().next() {
                    post = Some(Box::pin(post_message(
                        api.clone(),
                        self.tokens.current(),
                        message,
                    )));
                }
            }
            tokio::select! {
                page = &mut poll => match page {
                    Ok(page) => {
                        let after = self.received();
                        let more = page.has_more && !page.events.is_empty();
                        self.apply_page(after, page);
                        self.sink.flush();
                        // Ask again at once only while catching up; a page that did not move the
                        // cursor must not turn into a tight loop against the server.
                        let advanced = self.received() > after;
                        let wait = if more && advanced { Duration::ZERO } else { self.settings.rest_poll_wait };
                        let pause = if advanced || !more { Duration::ZERO } else { STUCK_POLL_PAUSE };
                        poll = self.poll(&api, wait, pause);
                    }
                    Err(err) if is_unauthorized(&err) => return Fallback::Unauthorized(err.to_string()),
                    Err(err) => {
                        self.sink.service(Service::Api.id(), ServiceState::Down, Some(err.to_string()));
                        return Fallback::Unavailable(format!("the API stopped answering: {err}"));
                    }
                },
                (client_msg_id, result) = async { post.as_mut().expect("guarded").await }, if post.is_some() => {
                    post = None;
                    match result {
                        Ok(sent) => {
                            self.sink
                                .acked(&client_msg_id, sent.msg_id, Cursor::from_backend(sent.seq));
                        }
                        Err(err) if is_unauthorized(&err) => return Fallback::Unauthorized(err.to_string()),
                        Err(err) if !err.retryable() => {
                            self.sink.refused(&client_msg_id, err.to_string());
                        }
                        Err(err) => {
                            // The queue hands it over again after the floor (this client's own
                            // pause at least); other chats' messages go meanwhile.
                            let floor = err.retry_after().unwrap_or_default();
                            self.sink.retry_later(&client_msg_id, self.settings.resend_after_nack.max(floor));
                        }
                    }
                }
                _ = sleep_until(gateway_at), if probing.is_none() && !self.table.is_empty() => {
                    if let Some(candidate) = self.table.order(Instant::now()).into_iter().next() {
                        self.sink.attempt(&candidate);
                        let open = self.connector.open(candidate.clone(), self.tokens.current(), self.resume(), self.settings.connect_timeout);
                        probing = Some(Box::pin(async move { let result = open.await; (candidate, result) }));
                    }
                }
                (candidate, result) = async { probing.as_mut().expect("guarded").await }, if probing.is_some() => {
                    probing = None;
                    match result {
                        Ok(link) => return Fallback::Gateway(Box::new(link)),
                        Err(error) => {
                            self.table.failed(&candidate.url, Instant::now(), &error.describe());
                            self.failures += 1;
                            gateway_at = Instant::now() + self.backoff();
                        }
                    }
                }
                command = self.commands.recv() => match command {
                    None => return Fallback::Gone,
                    // The queue keeps it: the loop asks for the oldest unanswered next.
                    Some(Command::Send(_)) => {}
                    Some(Command::ReconnectNow) => {
                        self.failures = 0;
                        gateway_at = Instant::now();
                    }
                },
                _ = self.ticker.tick() => {
                    if self.wake.tick(self.settings.wake_tick).is_some() {
                        gateway_at = Instant::now();
                    }
                }
                _ = changed(&mut self.network) => gateway_at = Instant::now(),
            }
        }
    }

    /// The next long-poll, after `pause` (used when the server keeps answering without progress).
    fn poll(
        &self,
        api: &ApiClient,
        wait: Duration,
        pause: Duration,
    ) -> BoxFuture<Result<EventsPage, CoreError>> {
        let api = api.clone();
        let token = self.tokens.current();
        let after = self.received();
        Box::pin(async move {
            tokio::time::sleep(pause).await;
            api.events(&token, after, MAX_EVENTS_PAGE, wait).await
        })
    }
}

async fn post_message(
    api: ApiClient,
    token: outlast_protocol::AccessToken,
    message: Outgoing,
) -> (String, Result<SendResponse, CoreError>) {
    let request = SendRequest {
        client_msg_id: message.client_msg_id.clone(),
        chat_id: message.chat_id,
        body: message.body,
        attachments: message.attachments.iter().map(Into::into).collect(),
    };
    let result = api.send_message(&token, &request).await;
    (message.client_msg_id, result)
}
