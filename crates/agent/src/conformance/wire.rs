//! A deliberately plain WebSocket client for the conformance kit: the handshake and frames
//! written by hand, so the kit decides itself whether (and when) to answer a ping.

use crate::config::AgentConfig;
use crate::net::{self, BoxIo};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct Wire {
    io: BoxIo,
}

/// One frame from the server.
pub enum Frame {
    Text(String),
    Ping,
    Pong,
    Close(u16, String),
    Other,
}

impl Wire {
    /// Opens the control channel with the credential; `Err` carries the HTTP status line.
    pub async fn open(cfg: &AgentConfig, serial: &str, secret: &str) -> Result<Wire, String> {
        let mut io = net::connect(cfg).await.map_err(|e| e.to_string())?;
        let host = net::host_header(cfg).map_err(|e| e.to_string())?;
        let req = format!(
            "GET {} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Protocol: {}\r\nAuthorization: {}\r\n\r\n",
            zentrale_protocol::WS_PATH,
            zentrale_protocol::SUBPROTOCOL,
            net::basic(serial, secret)
        );
        io.write_all(req.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut b = [0u8; 1];
            io.read_exact(&mut b).await.map_err(|e| e.to_string())?;
            head.push(b[0]);
            if head.len() > 16 * 1024 {
                return Err("the upgrade answer's header is too long".into());
            }
        }
        let status = String::from_utf8_lossy(&head)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned();
        if !status.starts_with("HTTP/1.1 101") {
            return Err(status);
        }
        Ok(Wire { io })
    }

    /// Sends a masked text frame.
    pub async fn send(&mut self, text: &str) -> Result<(), String> {
        self.frame(0x1, text.as_bytes()).await
    }

    async fn frame(&mut self, op: u8, payload: &[u8]) -> Result<(), String> {
        let mask = [0x3a_u8, 0x91, 0x5c, 0x07];
        let mut f = vec![0x80 | op];
        match payload.len() {
            n if n < 126 => f.push(0x80 | n as u8),
            n if n <= u16::MAX as usize => {
                f.push(0x80 | 126);
                f.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                f.push(0x80 | 127);
                f.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        f.extend_from_slice(&mask);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.io.write_all(&f).await.map_err(|e| e.to_string())
    }

    /// The next frame, waiting at most `within`.
    pub async fn next(&mut self, within: Duration) -> Result<Frame, String> {
        tokio::time::timeout(within, self.read())
            .await
            .map_err(|_| format!("nothing within {} s", within.as_secs()))?
    }

    /// The next text frame (pings and pongs skipped, unanswered), waiting at most `within`.
    pub async fn next_text(&mut self, within: Duration) -> Result<String, String> {
        let until = tokio::time::Instant::now() + within;
        loop {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await? {
                Frame::Text(t) => return Ok(t),
                Frame::Close(code, reason) => return Err(format!("closed with {code}: {reason}")),
                _ => {}
            }
        }
    }

    async fn read(&mut self) -> Result<Frame, String> {
        let mut head = [0u8; 2];
        self.io
            .read_exact(&mut head)
            .await
            .map_err(|e| e.to_string())?;
        let len = match head[1] & 0x7f {
            126 => {
                let mut l = [0u8; 2];
                self.io
                    .read_exact(&mut l)
                    .await
                    .map_err(|e| e.to_string())?;
                u16::from_be_bytes(l) as usize
            }
            127 => {
                let mut l = [0u8; 8];
                self.io
                    .read_exact(&mut l)
                    .await
                    .map_err(|e| e.to_string())?;
                u64::from_be_bytes(l) as usize
            }
            n => n as usize,
        };
        if len > zentrale_protocol::MAX_ACCEPTED_BYTES {
            return Err(format!("a frame of {len} bytes from the server"));
        }
        let mut payload = vec![0u8; len];
        self.io
            .read_exact(&mut payload)
            .await
            .map_err(|e| e.to_string())?;
        Ok(match head[0] & 0x0f {
            0x1 => Frame::Text(String::from_utf8_lossy(&payload).into_owned()),
            0x8 => {
                let code = if payload.len() >= 2 {
                    u16::from_be_bytes([payload[0], payload[1]])
                } else {
                    1005
                };
                Frame::Close(
                    code,
                    String::from_utf8_lossy(payload.get(2..).unwrap_or(&[])).into_owned(),
                )
            }
            0x9 => Frame::Ping,
            0xA => Frame::Pong,
            _ => Frame::Other,
        })
    }
}
