"""The milestones of fixed-price contracts (SPEC §7.1): `funding` puts money into escrow,
`submissions` hands in work and asks for changes, `release` approves it and pays it out (or
cancels a milestone); `states` is what the three share."""
