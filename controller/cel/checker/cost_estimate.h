#pragma once
// The estimated cost of a checked expression, as Kubernetes computes it: cel-go's
// static estimator (checker.Cost) with Kubernetes' function costs
// (k8s.io/apiserver's library.CostEstimator) and the lists and sets extensions'
// estimators, with the API server's presence-test rule (has() is free).
//
// Sizes the expression does not fix (a string read from the object, a list it
// ranges over) are bounded by `variable_size`: Kubernetes knows no other bound on
// what a ValidatingAdmissionPolicy reads than its request size (3 MiB). A size
// nothing bounds (what `.?` or `orValue` returns) is unknown, and the estimate then
// saturates at 2^64-1, as cel-go's does.

#include <cstdint>

#include "cel/checker/checker.h"
#include "cel/syntax/ast.h"

namespace clausegate::cel::checker {

inline constexpr uint64_t kMaxRequestSizeBytes = 3 * 1024 * 1024;

struct CostRange {
  uint64_t min = 0;
  uint64_t max = 0;
  bool saturated() const { return max == UINT64_MAX; }
};

struct EstimateOptions {
  uint64_t variable_size = kMaxRequestSizeBytes;
};

CostRange EstimateCost(const Expr& root, const CheckResult& checked, const EstimateOptions& options = {});

}  // namespace clausegate::cel::checker
