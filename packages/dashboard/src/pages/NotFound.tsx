import { Link } from '../router.tsx';
import { PageHeader } from '../ui.tsx';
import { useTitle } from '../hooks.tsx';

export function NotFound() {
  useTitle('Not found');
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is nothing here. Go to the <Link to="/">overview</Link> or the <Link to="/jobs">jobs</Link>.
      </p>
    </>
  );
}
