"""The WhatsApp adapter: the Cloud API webhook and client, rendering, and the outbox sender."""
