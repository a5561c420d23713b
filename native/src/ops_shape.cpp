// Shape, view and indexing ops; joining and splitting.
#include <limits>

#include "common.h"

namespace onemark {

OP(reshape) { return a.ret(at::reshape(a.t(0), a.ints(1))); }
OP(view) { return a.ret(a.t(0).view(a.ints(1))); }
OP(permute) { return a.ret(a.t(0).permute(a.ints(1))); }
OP(transpose) { return a.ret(at::transpose(a.t(0), a.i64(1), a.i64(2))); }
OP(narrow) { return a.ret(at::narrow(a.t(0), a.i64(1), a.i64(2), a.i64(3))); }
// slice(t, dim, start?, end?, step=1): like t[start:end:step] along dim.
OP(slice) {
  const c10::optional<int64_t> start = a.has(2) ? c10::optional<int64_t>(a.i64(2)) : c10::nullopt;
  const c10::optional<int64_t> end = a.has(3) ? c10::optional<int64_t>(a.i64(3)) : c10::nullopt;
  return a.ret(at::slice(a.t(0), a.i64(1), start, end, a.i64(4, 1)));
}
// select(t, dim, index): drops dim.
OP(select) { return a.ret(at::select(a.t(0), a.i64(1), a.i64(2))); }
OP(indexSelect) { return a.ret(at::index_select(a.t(0), a.i64(1), a.t(2))); }
OP(gather) { return a.ret(at::gather(a.t(0), a.i64(1), a.t(2))); }
OP(scatter) { return a.ret(at::scatter(a.t(0), a.i64(1), a.t(2), a.t(3))); }
OP(scatterS) { return a.ret(at::scatter(a.t(0), a.i64(1), a.t(2), a.scalar(3))); }
OP(scatterAdd) { return a.ret(at::scatter_add(a.t(0), a.i64(1), a.t(2), a.t(3))); }
OP(indexAdd) { return a.ret(at::index_add(a.t(0), a.i64(1), a.t(2), a.t(3))); }
OP(maskedFill) { return a.ret(at::masked_fill(a.t(0), a.t(1), a.scalar(2))); }
OP(maskedSelect) { return a.ret(at::masked_select(a.t(0), a.t(1))); }

namespace {
/** Index list for advanced indexing: handles, with null (or -1) for a full slice ':' . */
c10::List<c10::optional<at::Tensor>> indexList(const Args& a, size_t i) {
  napi_value arr = a.argv[i];
  bool isArray = false;
  napi_is_array(a.env, arr, &isArray);
  if (!isArray) a.fail("indices must be an array of tensors or nulls");
  uint32_t n = 0;
  napi_get_array_length(a.env, arr, &n);
  c10::List<c10::optional<at::Tensor>> out;
  out.reserve(n);
  for (uint32_t k = 0; k < n; ++k) {
    napi_value el;
    napi_get_element(a.env, arr, k, &el);
    napi_valuetype ty;
    napi_typeof(a.env, el, &ty);
    double h = -1;
    if (ty == napi_number) napi_get_value_double(a.env, el, &h);
    else if (ty != napi_null && ty != napi_undefined) a.fail("indices must be an array of tensors or nulls");
    if (h < 0) out.push_back(c10::optional<at::Tensor>());
    else out.push_back(c10::optional<at::Tensor>(handles().get(h)));
  }
  return out;
}
}  // namespace

// index(t, indices): t[i0, i1, ...] with tensor indices (null = ':').
OP(index) {
  a.need(2);
  return a.ret(at::index(a.t(0), indexList(a, 1)));
}
// indexPut_(t, indices, values, accumulate)
OP(indexPut_) {
  a.need(3);
  a.t(0).index_put_(indexList(a, 1), a.t(2), a.flag(3));
  return a.undefined();
}

OP(squeeze) {
  if (a.has(1)) return a.ret(at::squeeze(a.t(0), a.i64(1)));
  return a.ret(at::squeeze(a.t(0)));
}
OP(unsqueeze) { return a.ret(at::unsqueeze(a.t(0), a.i64(1))); }
OP(expand) { return a.ret(a.t(0).expand(a.ints(1))); }
OP(expandAs) { return a.ret(a.t(0).expand_as(a.t(1))); }
OP(broadcastTo) { return a.ret(at::broadcast_to(a.t(0), a.ints(1))); }
OP(flip) { return a.ret(at::flip(a.t(0), a.ints(1))); }
OP(roll) { return a.ret(at::roll(a.t(0), a.ints(1), a.has(2) ? a.ints(2) : std::vector<int64_t>{})); }
OP(repeat) { return a.ret(a.t(0).repeat(a.ints(1))); }
OP(repeatInterleave) { return a.ret(at::repeat_interleave(a.t(0), a.i64(1), a.has(2) ? c10::optional<int64_t>(a.i64(2)) : c10::nullopt)); }
OP(flatten) { return a.ret(at::flatten(a.t(0), a.i64(1, 0), a.i64(2, -1))); }
OP(unflatten) { return a.ret(a.t(0).unflatten(a.i64(1), a.ints(2))); }
OP(tril) { return a.ret(at::tril(a.t(0), a.i64(1, 0))); }
OP(triu) { return a.ret(at::triu(a.t(0), a.i64(1, 0))); }
OP(diag) { return a.ret(at::diag(a.t(0), a.i64(1, 0))); }
OP(diagonal) { return a.ret(at::diagonal(a.t(0), a.i64(1, 0), a.i64(2, 0), a.i64(3, 1))); }

OP(cat) { return a.ret(at::cat(a.tensors(0), a.i64(1, 0))); }
OP(stack) { return a.ret(at::stack(a.tensors(0), a.i64(1, 0))); }
// split(t, size|sizes, dim)
OP(split) {
  bool isArray = false;
  napi_is_array(a.env, a.argv[1], &isArray);
  if (isArray) return a.ret(at::split_with_sizes(a.t(0), a.ints(1), a.i64(2, 0)));
  return a.ret(at::split(a.t(0), a.i64(1), a.i64(2, 0)));
}
OP(chunk) { return a.ret(at::chunk(a.t(0), a.i64(1), a.i64(2, 0))); }
OP(unbind) { return a.ret(at::unbind(a.t(0), a.i64(1, 0))); }
// meshgrid(tensors, indexing='ij')
OP(meshgrid) { return a.ret(at::meshgrid(a.tensors(0), a.str(1, "ij"))); }

}  // namespace onemark
