// snapshot -> plan -> batch -> verify.
