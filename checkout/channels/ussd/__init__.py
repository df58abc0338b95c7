"""USSD: sessions, screens, the pushes sent after a session ends, Telegram copies."""
