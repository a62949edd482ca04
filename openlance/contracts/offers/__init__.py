"""Offers (SPEC §6): a client's terms sent to a freelancer, changed or withdrawn until they
are answered; accepting one starts the contract. `services` holds every write, `selectors`
the reads scoped to the two parties."""
