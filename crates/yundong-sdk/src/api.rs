//! The WeChat server APIs a WeRun back end calls (docs/WECHAT.md §1.6, §3, §4.1), as [`Client`] methods.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use yundong_proto::crypto;

use crate::client::{Call, Client, Idempotency};
use crate::error::{Error, OpenDataError, Result};
use crate::http::Method;
use crate::werun::{ShareInfo, WeRunData};

/// What `jscode2session` answers: the user's openid under this app, the fresh session_key, and the unionid when
/// the app is bound to an open platform. `Debug` hides the session_key.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct Session {
    pub openid: String,
    pub session_key: String,
    #[serde(default)]
    pub unionid: Option<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("openid", &self.openid)
            .field("session_key", &"***")
            .field("unionid", &self.unionid)
            .finish()
    }
}

/// What `resetusersessionkey` answers: the user's new session_key (it keeps the old one's expiry).
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct ResetSession {
    pub openid: String,
    pub session_key: String,
}

impl std::fmt::Debug for ResetSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetSession")
            .field("openid", &self.openid)
            .field("session_key", &"***")
            .finish()
    }
}

/// One entry of a `getopendata` answer, in the order of the request.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenDataEntry {
    pub cloud_id: String,
    pub content: OpenDataContent,
}

/// The open data a cloudID stands for, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum OpenDataContent {
    /// The decrypted payload (with its watermark), e.g. `{"stepInfoList": [...], "watermark": {...}}`.
    Data(Value),
    /// An expired (WeChat: -601006 `cloudID expired.`) or unknown cloudID.
    Error { err_code: i64, err_msg: String },
}

impl OpenDataEntry {
    /// The payload, or [`Error::CloudId`].
    pub fn into_data(self) -> Result<Value> {
        match self.content {
            OpenDataContent::Data(v) => Ok(v),
            OpenDataContent::Error { err_code, err_msg } => Err(Error::CloudId {
                cloud_id: self.cloud_id,
                err_code,
                err_msg,
            }),
        }
    }

    /// Read one `data_list` item. WeChat documents `json` as a string holding `{"cloudID", "data"}` while its
    /// sample shows an object (docs/WECHAT.md §1.6, docs/DESIGN.md §5.8): both are accepted.
    fn from_wire(item: WireItem) -> Result<OpenDataEntry> {
        const PATH: &str = "/wxa/getopendata";
        let decode = |message: String| Error::Decode { path: PATH, message };
        let json = match item.json {
            Value::String(text) => serde_json::from_str::<Value>(&text)
                .map_err(|e| decode(format!("data_list[].json is not JSON: {e}")))?,
            other => other,
        };
        let Value::Object(mut object) = json else {
            return Err(decode("data_list[].json is not an object".into()));
        };
        let content = if let Some(data) = object.remove("data") {
            OpenDataContent::Data(data)
        } else if let Some(code) = object.get("errCode").and_then(Value::as_i64) {
            OpenDataContent::Error {
                err_code: code,
                err_msg: object
                    .get("errMsg")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            }
        } else {
            return Err(decode("data_list[].json has neither data nor errCode".into()));
        };
        Ok(OpenDataEntry {
            cloud_id: item.cloud_id,
            content,
        })
    }
}

#[derive(Deserialize)]
struct WireItem {
    cloud_id: String,
    json: Value,
}

#[derive(Deserialize)]
struct WireOpenData {
    data_list: Vec<WireItem>,
}

#[derive(Deserialize)]
struct Ignored {}

impl Client {
    /// `GET /sns/jscode2session`: exchange the code of `wx.login` for the user's openid and session_key. Needs no
    /// access token, so it costs no token request.
    ///
    /// A code works once (40163 `code been used` after that), for 5 minutes, and only for the app it was made for
    /// (40029 `invalid code`); a wrong secret gives 40125. `-1` is retried; nothing else is.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), yundong_sdk::Error> {
    /// use yundong_sdk::{Client, ErrCode};
    ///
    /// let client = Client::builder("wx0123456789abcdef", "app-secret")
    ///     .base_url("http://127.0.0.1:8080") // a local yundong; omit for WeChat
    ///     .build()?;
    /// match client.code2session("code-from-wx.login").await {
    ///     Ok(session) => println!("openid {}", session.openid),
    ///     Err(e) if e.is(ErrCode::CodeBeenUsed) => println!("that code was already exchanged"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn code2session(&self, js_code: &str) -> Result<Session> {
        let inner = &self.inner;
        self.send(
            Call {
                method: Method::Get,
                path: "/sns/jscode2session",
                query: vec![
                    ("appid", inner.appid.clone()),
                    ("secret", inner.secret.clone()),
                    ("js_code", js_code.to_owned()),
                    ("grant_type", "authorization_code".to_owned()),
                ],
                body: None,
                idempotency: Idempotency::NonIdempotent,
            },
            None,
        )
        .await
    }

    /// `GET /wxa/checksession`: is `session_key` still the user's current, live key? `Ok(())` if so; errcode 87009
    /// ([`Error::is_invalid_signature`]) if it was replaced (a later `wx.login`) or expired.
    ///
    /// The signature is hex(HMAC-SHA256(key = the session_key's base64 text, message = "")), `sig_method` =
    /// `hmac_sha256`.
    ///
    /// ```no_run
    /// # async fn run(client: yundong_sdk::Client, openid: &str, session_key: &str) -> Result<(), yundong_sdk::Error> {
    /// match client.check_session(openid, session_key).await {
    ///     Ok(()) => println!("the key is current"),
    ///     Err(e) if e.is_invalid_signature() => println!("stale: ask the mini program to wx.login again"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn check_session(&self, openid: &str, session_key: &str) -> Result<()> {
        let _: Ignored = self
            .send_with_token(session_call(
                "/wxa/checksession",
                openid,
                session_key,
                Idempotency::Idempotent,
            ))
            .await?;
        Ok(())
    }

    /// `GET /wxa/resetusersessionkey`: replace the user's (current) session_key with a new one, which keeps the old
    /// one's expiry; the old key stops working.
    ///
    /// ```no_run
    /// # async fn run(client: yundong_sdk::Client, openid: &str, session_key: &str) -> Result<(), yundong_sdk::Error> {
    /// let reset = client.reset_session_key(openid, session_key).await?;
    /// client.check_session(openid, &reset.session_key).await?;
    /// # Ok(()) }
    /// ```
    pub async fn reset_session_key(&self, openid: &str, session_key: &str) -> Result<ResetSession> {
        self.send_with_token(session_call(
            "/wxa/resetusersessionkey",
            openid,
            session_key,
            Idempotency::NonIdempotent,
        ))
        .await
    }

    /// `GET /hardware/bracelet/setstep`: report a device's absolute step total for the local day containing
    /// `timestamp` (Unix seconds, not in the future). A later report for the same day replaces it; the user's day
    /// total is the highest over all sources.
    ///
    /// ```no_run
    /// # async fn run(client: yundong_sdk::Client, openid: &str) -> Result<(), yundong_sdk::Error> {
    /// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    /// client.set_step(openid, now, 12_345).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_step(&self, openid: &str, timestamp: i64, step: u32) -> Result<()> {
        let _: Ignored = self
            .send_with_token(Call {
                method: Method::Get,
                path: "/hardware/bracelet/setstep",
                query: vec![
                    ("openid", openid.to_owned()),
                    ("timestamp", timestamp.to_string()),
                    ("step", step.to_string()),
                ],
                body: None,
                // An absolute total: repeating it changes nothing.
                idempotency: Idempotency::Idempotent,
            })
            .await?;
        Ok(())
    }

    /// `POST /wxa/getopendata`: exchange cloudIDs (from `wx.getWeRunData`, `wx.getShareInfo`; valid 5 minutes) for
    /// the open data they stand for, one entry per cloudID in order. The data is already decrypted by the server;
    /// check it with [`Client::werun_by_cloud_id`] or [`crate::Decryptor::werun_from_value`].
    ///
    /// ```no_run
    /// # async fn run(client: yundong_sdk::Client, a: &str, b: &str) -> Result<(), yundong_sdk::Error> {
    /// use yundong_sdk::OpenDataContent;
    ///
    /// for entry in client.get_open_data(&[a, b]).await? {
    ///     match entry.content {
    ///         OpenDataContent::Data(data) => println!("{}: {data}", entry.cloud_id),
    ///         OpenDataContent::Error { err_code, err_msg } => println!("{}: {err_code} {err_msg}", entry.cloud_id),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_open_data<S: AsRef<str>>(&self, cloud_ids: &[S]) -> Result<Vec<OpenDataEntry>> {
        let ids: Vec<&str> = cloud_ids.iter().map(AsRef::as_ref).collect();
        let answer: WireOpenData = self
            .send_with_token(Call {
                method: Method::Post,
                path: "/wxa/getopendata",
                query: Vec::new(),
                body: Some(json!({ "cloudid_list": ids }).to_string().into_bytes()),
                idempotency: Idempotency::Idempotent,
            })
            .await?;
        answer.data_list.into_iter().map(OpenDataEntry::from_wire).collect()
    }

    /// The WeRun data behind one cloudID, its watermark checked like decrypted data.
    ///
    /// ```no_run
    /// # async fn run(client: yundong_sdk::Client, cloud_id: &str) -> Result<(), yundong_sdk::Error> {
    /// let data = client.werun_by_cloud_id(cloud_id).await?;
    /// println!("today: {:?} steps", data.today());
    /// # Ok(()) }
    /// ```
    pub async fn werun_by_cloud_id(&self, cloud_id: &str) -> Result<WeRunData> {
        let data = self.one_cloud_id(cloud_id).await?;
        Ok(self.decryptor().werun_from_value(data)?)
    }

    /// The share info (openGId) behind one cloudID, its watermark checked.
    pub async fn share_info_by_cloud_id(&self, cloud_id: &str) -> Result<ShareInfo> {
        let data = self.one_cloud_id(cloud_id).await?;
        Ok(self.decryptor().share_info_from_value(data)?)
    }

    async fn one_cloud_id(&self, cloud_id: &str) -> Result<Value> {
        self.get_open_data(&[cloud_id])
            .await?
            .into_iter()
            .find(|e| e.cloud_id == cloud_id)
            .ok_or_else(|| Error::Decode {
                path: "/wxa/getopendata",
                message: "the answer has no entry for the cloudID".into(),
            })?
            .into_data()
    }

    /// Decrypt `wx.getWeRunData`'s `encryptedData` with this app's checks (see [`crate::Decryptor`]).
    pub fn decrypt_werun(&self, session_key: &str, iv: &str, encrypted_data: &str) -> Result<WeRunData> {
        Ok(self.decryptor().decrypt_werun(session_key, iv, encrypted_data)?)
    }

    /// Decrypt `wx.getShareInfo`'s `encryptedData` with this app's checks.
    pub fn decrypt_share_info(&self, session_key: &str, iv: &str, encrypted_data: &str) -> Result<ShareInfo> {
        Ok(self.decryptor().decrypt_share_info(session_key, iv, encrypted_data)?)
    }

    /// Decrypt any open data into `T` with this app's checks.
    pub fn decrypt<T: DeserializeOwned>(&self, session_key: &str, iv: &str, encrypted_data: &str) -> Result<T> {
        Ok(self.decryptor().decrypt(session_key, iv, encrypted_data)?)
    }

    /// [`Client::decrypt_werun`], and when the padding or the JSON does not check out (the symptoms of a stale key), ask
    /// `checksession` whether `session_key` is still the user's: if not, [`Error::StaleSessionKey`] says so (the
    /// mini program must `wx.login` again and fetch the data anew); if it is, the original error stands (the iv
    /// or the data is wrong).
    pub async fn decrypt_werun_for(
        &self,
        openid: &str,
        session_key: &str,
        iv: &str,
        encrypted_data: &str,
    ) -> Result<WeRunData> {
        match self.decryptor().decrypt_werun(session_key, iv, encrypted_data) {
            Ok(data) => Ok(data),
            // A wrong key fails the padding check, or, one time in a few hundred, passes it and yields garbage.
            Err(e @ OpenDataError::Decrypt(crypto::DecryptError::BadPadding | crypto::DecryptError::BadJson(_))) => {
                match self.check_session(openid, session_key).await {
                    Err(check) if check.is_invalid_signature() => Err(Error::StaleSessionKey { source: e }),
                    _ => Err(Error::OpenData(e)),
                }
            }
            Err(e) => Err(Error::OpenData(e)),
        }
    }

    /// Call any other WeChat API with this client's token handling and retries: `path` (relative to the base URL,
    /// starting with `/`) gets `access_token` added to `query`; a JSON `body` makes it a POST. Errcodes become
    /// [`Error::Api`]. Only `-1` and connection failures are retried, as the call may not be idempotent.
    ///
    /// ```no_run
    /// # async fn run(client: yundong_sdk::Client) -> Result<(), yundong_sdk::Error> {
    /// use serde_json::{Value, json};
    ///
    /// let answer: Value = client
    ///     .call("/wxa/business/getuserphonenumber", &[], Some(&json!({"code": "phone-code"})))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn call<T: DeserializeOwned>(
        &self,
        path: &'static str,
        query: &[(&'static str, &str)],
        body: Option<&Value>,
    ) -> Result<T> {
        if !path.starts_with('/') || path.contains("://") || path.contains(['?', '#']) {
            return Err(Error::Config(format!(
                "path {path:?} must be relative to the base URL, start with '/', and hold no query"
            )));
        }
        self.send_with_token(Call {
            method: if body.is_some() { Method::Post } else { Method::Get },
            path,
            query: query.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
            body: body.map(|b| b.to_string().into_bytes()),
            idempotency: Idempotency::NonIdempotent,
        })
        .await
    }
}

fn session_call(path: &'static str, openid: &str, session_key: &str, idempotency: Idempotency) -> Call {
    Call {
        method: Method::Get,
        path,
        query: vec![
            ("openid", openid.to_owned()),
            ("signature", crypto::session_signature(session_key)),
            ("sig_method", "hmac_sha256".to_owned()),
        ],
        body: None,
        idempotency,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn item(json: Value) -> WireItem {
        WireItem {
            cloud_id: "c1".into(),
            json,
        }
    }

    #[test]
    fn getopendata_json_may_be_a_string_or_an_object() {
        let data = json!({"stepInfoList": [], "watermark": {"appid": "wx", "timestamp": 1}});
        let as_string = item(Value::String(json!({"cloudID": "c1", "data": data}).to_string()));
        let as_object = item(json!({"cloudID": "c1", "data": data}));
        for it in [as_string, as_object] {
            let entry = OpenDataEntry::from_wire(it).unwrap();
            assert_eq!(entry.cloud_id, "c1");
            assert_eq!(entry.content, OpenDataContent::Data(data.clone()));
            assert_eq!(entry.into_data().unwrap(), data);
        }
    }

    #[test]
    fn getopendata_errors_per_entry() {
        let expired = item(Value::String(
            json!({"cloudID": "c1", "errCode": -601006, "errMsg": "cloudID expired."}).to_string(),
        ));
        let entry = OpenDataEntry::from_wire(expired).unwrap();
        assert_eq!(
            entry.content,
            OpenDataContent::Error {
                err_code: -601006,
                err_msg: "cloudID expired.".into()
            }
        );
        assert!(matches!(
            entry.into_data(),
            Err(Error::CloudId { err_code: -601006, .. })
        ));
        for bad in [
            Value::String("not json".into()),
            json!([1, 2]),
            json!({"cloudID": "c1"}),
            Value::Null,
        ] {
            assert!(matches!(OpenDataEntry::from_wire(item(bad)), Err(Error::Decode { .. })));
        }
    }

    #[test]
    fn session_debug_hides_the_key() {
        let s = Session {
            openid: "o".into(),
            session_key: "KEY".into(),
            unionid: None,
        };
        assert!(!format!("{s:?}").contains("KEY"));
        let r = ResetSession {
            openid: "o".into(),
            session_key: "KEY".into(),
        };
        assert!(!format!("{r:?}").contains("KEY"));
    }

    #[test]
    fn session_call_signs_with_the_key_text() {
        let call = session_call(
            "/wxa/checksession",
            "o1",
            "HyVFkGl5F5OQWJZZaNzBBg==",
            Idempotency::NonIdempotent,
        );
        let sig = call
            .query
            .iter()
            .find(|(k, _)| *k == "signature")
            .map(|(_, v)| v.clone())
            .unwrap();
        assert_eq!(sig, crypto::session_signature("HyVFkGl5F5OQWJZZaNzBBg=="));
        assert_eq!(sig.len(), 64);
        assert!(call.query.contains(&("sig_method", "hmac_sha256".to_owned())));
    }
}
