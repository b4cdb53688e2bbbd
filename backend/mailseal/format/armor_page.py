"""The text of `message.html`: a page that explains itself, links to the viewer, runs no script and
loads nothing remote. Placeholders are filled with HTML-escaped values by `armor.py`. This is the English page that
`mailseal seal` writes; the server writes each template's language(s) with `mail/message_page.py`."""

from __future__ import annotations

ARMOR_MARK = b'data-mailseal-armor="v1"'  # on <html>, within the first 64 bytes
PAGE_START = '<!DOCTYPE html>\n<html data-mailseal-armor="v1" '  # then lang and dir
PAGE_END_OF_HEAD = '<pre hidden id="mailseal-envelope">\n'  # the armored envelope follows

# The page's look, shared by every language's page (mail/message_page.py): the mail room writes the words.
PAGE_STYLE = """:root { --bg: #f3f5f9; --card: #ffffff; --text: #1c2333; --muted: #5a6478; --accent: #1f5eff;
  --accent-text: #ffffff; --line: #dde2ec; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #10131a; --card: #1a1f2b; --text: #e8ebf2; --muted: #a3acbf; --accent: #6f9bff;
    --accent-text: #0b0f17; --line: #2c3342; }
}
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; padding: 24px 16px; background: var(--bg); color: var(--text);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 34rem; margin: 0 auto; background: var(--card); border: 1px solid var(--line);
  border-radius: 16px; padding: 28px 24px; }
.org { margin: 0 0 8px; color: var(--muted); font-size: 14px; letter-spacing: .02em; }
.lock { display: block; position: relative; width: 44px; height: 44px; border-radius: 50%;
  background: var(--accent); }
.lock::before { content: ""; position: absolute; left: 15px; top: 9px; width: 14px; height: 13px;
  border: 3px solid var(--accent-text); border-bottom: 0; border-radius: 8px 8px 0 0; }
.lock::after { content: ""; position: absolute; left: 12px; top: 20px; width: 20px; height: 15px;
  border-radius: 3px; background: var(--accent-text); }
h1 { font-size: 22px; line-height: 1.3; margin: 16px 0 8px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
p { margin: 0 0 12px; }
.subject { color: var(--muted); overflow-wrap: anywhere; }
.read { display: block; margin: 24px 0 8px; padding: 14px 20px; min-height: 52px; border-radius: 12px;
  background: var(--accent); color: var(--accent-text); text-align: center; font-size: 18px;
  font-weight: 600; text-decoration: none; }
ol { padding-inline-start: 1.25rem; margin: 0; }
li { margin: 0 0 10px; }
.small { color: var(--muted); font-size: 14px; margin-top: 24px; }
strong { overflow-wrap: anywhere; }
"""

PAGE_HEAD = """<!DOCTYPE html>
<html data-mailseal-armor="v1" lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
img-src data:; form-action 'none'; base-uri 'none'">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>Protected message from {sender}</title>
<style>
{style}</style>
</head>
<body>
<main>
<p class="org">{org_name}</p>
<span class="lock" aria-hidden="true"></span>
<h1>You have a protected message</h1>
<p><strong>{sender}</strong> sent you a protected message through {org_name}.</p>
{subject_line}<a class="read" href="{view_url}">Read the message</a>
<h2>How to open it</h2>
<ol>
<li><strong>Tap &ldquo;Read the message&rdquo;</strong> and confirm your e-mail address with a
one-time code.</li>
<li>iPhone or iPad with the Mailseal app: <strong>save</strong> this file (message.html) to Files,
then in Mailseal tap &ldquo;Open a protected message&rdquo;.</li>
<li>Android with the Mailseal app: <strong>share</strong> this file to Mailseal.</li>
<li>Or <strong>forward</strong> the e-mail that carried this file to your personal Mailseal address.</li>
</ol>
<p class="small">The message is encrypted and travels inside this page. Only the people it was sent to
can read it, after proving who they are. This page runs no code and loads nothing from the internet.</p>
</main>
<pre hidden id="mailseal-envelope">
"""

SUBJECT_LINE = '<p class="subject">Subject: {subject}</p>\n'

PAGE_TAIL = """</pre>
</body>
</html>
"""
