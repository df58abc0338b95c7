"""The staff channel's presenter: what staff commands did, as the texts, QR codes, charts,
documents and buttons staff see, in the staff user's language (the words come from
checkout.i18n)."""
