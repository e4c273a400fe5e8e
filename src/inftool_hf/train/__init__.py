"""Training: cold-start SFT and GRPO with the gated rewards, offline or in simulator environments."""
