## News.
news-admin-title = Operator › News
news-admin-hint = News for every user of this installation, shown on their Dashboard newest first. Markdown is allowed; anything unsafe is removed.
news-write = Write news
news-title = Title
news-body = Text (Markdown)
news-publish-at = Publish at (empty = now, in your time zone)
news-languages = Shown to readers of
news-publish = Publish
news-delete-confirm = Delete the news “{ $title }”?
news-none = No news yet.
news-heading = News
news-new = New
news-nothing = No news.
err-news-title = A title needs 1 to { $max } characters.
err-news-body = The text may have at most { $max } characters.
err-news-languages = Choose at least one language.
err-news-time = “{ $value }” is not a time: choose a date and time, or leave it empty for now.
