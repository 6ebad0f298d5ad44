// A real OpenID Connect provider for Zentrale's integration tests (npm `oidc-provider`).
// Usage: node provider.mjs PORT REDIRECT_URI POST_LOGOUT_URI
// Test hooks (HTTP, loopback only):
//   POST /test/login  {"sub": "...", "email": "...", "org": "..."}  the account the next login uses
//   POST /test/tamper                                              corrupt the next ID token's signature
// The interaction step signs in that account and grants consent without a form.
import Provider from 'oidc-provider';

const [port, redirectUri, postLogoutUri] = process.argv.slice(2);
const accounts = new Map();
let nextAccount = null;
let tamperNext = false;

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'zentrale',
    client_secret: 'zentrale-test-secret',
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [postLogoutUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'org'] },
  async findAccount(ctx, sub) {
    const claims = accounts.get(sub);
    if (!claims) return undefined;
    return { accountId: sub, async claims() { return { sub, email_verified: true, ...claims }; } };
  },
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['zentrale-test-cookie-key'] },
  conformIdTokenClaims: false,
});

async function readJson(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body ? JSON.parse(body) : {};
}

provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/test/login') {
    const { sub, ...claims } = await readJson(ctx.req);
    accounts.set(sub, claims);
    nextAccount = sub;
    ctx.body = { ok: true };
    return;
  }
  if (ctx.method === 'POST' && ctx.path === '/test/tamper') {
    tamperNext = true;
    ctx.body = { ok: true };
    return;
  }
  if (ctx.method === 'GET' && ctx.path.startsWith('/interaction/')) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result;
    if (details.prompt.name === 'login') {
      result = { login: { accountId: nextAccount } };
    } else {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      grant.addOIDCClaims(['email', 'email_verified', 'org', 'name']);
      result = { consent: { grantId: await grant.save() } };
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.redirect(to);
    return;
  }
  await next();
  if (ctx.path === '/token' && tamperNext && ctx.body && ctx.body.id_token) {
    const [h, p, s] = ctx.body.id_token.split('.');
    const flipped = (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    ctx.body = { ...ctx.body, id_token: [h, p, flipped].join('.') };
    tamperNext = false;
  }
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port}`);
});
