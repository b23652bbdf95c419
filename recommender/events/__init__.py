"""What happens after sending: deal-room engagement events, stored beside the index builds, and what they teach."""
