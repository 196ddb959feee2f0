// Attributes kept off the public page's cards: record keys for data managers (共通ID is the
// national dataset's id, NO its row number), not answers for citizens. The staff view shows them.
export const PUBLIC_HIDDEN_FIELDS = new Set(['共通ID', 'NO']);
