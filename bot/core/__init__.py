"""The channel-neutral core: messages, conversation state and the dialogue."""
