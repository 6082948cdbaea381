"""Content as data: topics, special answers and the services directory."""

from bot.content.loader import Content, ContentError, Service, Topic, TopicText, load_content

__all__ = ["Content", "ContentError", "Service", "Topic", "TopicText", "load_content"]
