"""Accounts, channels, playlists and feeds as sources: list their entries (yt-dlp's flat
extraction), choose which to fetch, record each listing run in the store, and watch listings on
a schedule (RQ's own repeat scheduling)."""
