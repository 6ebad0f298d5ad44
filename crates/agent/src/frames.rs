//! Messages onto the control channel, split into frames the server reads with a small
//! buffer (docs/protocol.md §4.1): its read buffer keeps the size of the largest frame
//! it received for as long as the connection lasts.

use futures_util::{Sink, SinkExt};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use zentrale_protocol::{Envelope, FRAGMENT_BYTES};

/// Sends `env` as one text frame, or as fragments of at most [`FRAGMENT_BYTES`] when longer.
pub async fn send<S>(ws: &mut S, env: &Envelope) -> Result<(), WsError>
where
    S: Sink<Message, Error = WsError> + Unpin,
{
    let text = env.to_text();
    if text.len() <= FRAGMENT_BYTES {
        return ws.send(Message::Text(text.into())).await;
    }
    let parts = pieces(&text, FRAGMENT_BYTES);
    let last = parts.len() - 1;
    for (i, part) in parts.into_iter().enumerate() {
        let op = if i == 0 { Data::Text } else { Data::Continue };
        let frame = Frame::message(part.as_bytes().to_vec(), OpCode::Data(op), i == last);
        ws.feed(Message::Frame(frame)).await?;
    }
    ws.flush().await
}

/// `text` in pieces of at most `max` bytes, cut at character boundaries.
fn pieces(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::with_capacity(text.len() / max + 1);
    let mut rest = text;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        out.push(head);
        rest = tail;
    }
    out.push(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::pieces;

    #[test]
    fn pieces_keep_characters_whole_and_add_up() {
        let text = "Grüße aus Köln — ☎ ".repeat(200);
        let parts = pieces(&text, 1000);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| !p.is_empty() && p.len() <= 1000));
        assert_eq!(parts.concat(), text);
        assert_eq!(pieces("kurz", 1000), vec!["kurz"]);
    }
}
