"""eSIM writes, by who acts: ``provisioning`` (the fulfilment job over ES2+),
``lifecycle`` (customers, staff and jobs changing an eSIM, through the network
partner), ``topups`` (buying more data) and ``notifications`` (what the
SM-DP+ reports). Import the module you mean; nothing is re-exported here."""
