/** The policy both serve tests start from, and the same with example.org blocked too. */
export const POLICY = `
services:
  contoh: ["example.org"]
rules:
  - name: blokir-tiktok
    block: [tiktok]
`;

export const BLOCK_CONTOH = `${POLICY}  - name: blokir-contoh
    block: [contoh]
`;
