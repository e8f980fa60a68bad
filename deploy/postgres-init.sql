-- The key store lives in a database of its own (ADR 0003).
CREATE DATABASE roamwise_vault OWNER roamwise;
