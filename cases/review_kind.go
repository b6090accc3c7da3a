package cases

// ErrReviewNotComplaint: a review (核查) is a complaint's remedy; a suggestion or a praise has
// none (RequestReview, CustomerReview).
const ErrReviewNotComplaint Reason = "review: only a complaint's decision is reviewed"
